"""Domain errors of the users service."""

from servicekit.core.errors import Conflict, Forbidden, NotFound, Unauthorized


class UserNotFound(NotFound):
    title = "User not found"
    type = "urn:problem-type:users:user-not-found"


class EmailTaken(Conflict):
    title = "Email already taken"
    type = "urn:problem-type:users:email-taken"


class NotYourAccount(Forbidden):
    title = "Not your account"
    type = "urn:problem-type:users:not-your-account"


class InvalidCredentials(Unauthorized):
    title = "Invalid credentials"
    type = "urn:problem-type:users:invalid-credentials"


class AccountGone(Unauthorized):
    title = "Account no longer exists"
    type = "urn:problem-type:users:account-gone"
