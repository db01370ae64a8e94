"""One Locust user class per scenario; `locustfile` offers them all."""
