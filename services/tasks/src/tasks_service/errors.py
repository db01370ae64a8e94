"""Domain errors of the tasks service."""

from servicekit.core.errors import NotFound


class TaskNotFound(NotFound):
    """Also the answer for another user's task: its existence is nobody else's business."""

    title = "Task not found"
    type = "urn:problem-type:tasks:task-not-found"
