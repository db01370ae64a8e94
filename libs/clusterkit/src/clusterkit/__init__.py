"""Images, charts and clusters: what `make images`, `make chart-test` and
`make cluster-smoke` run, and what the containers, charts and k8s tests stand on.

One concern per module:
- `images`: the six images, built with podman (or docker); `dockerfiles`: a Dockerfile
  read as a builder reads it; `containers`: an image run as a cluster would run it
- `helm`: the chart rendered by the real helm; `pod_security`: the restricted profile's
  demands of a workload
- `kube_play`: a render played by `podman kube play`; `chart_play`: that play wired to
  the machine's servers, through `relay`
- `cluster_smoke`: a deployed system checked on any cluster
- `gateway_renders`: the gateway's config as `make run` and the image render it
- `apt_sources`: the machine's apt archive, for .ci/podman-setup's base image (standard
  library only)

It builds on devstack (servers, databases, health checks, the gateway's renderer), never
the other way round.
"""
