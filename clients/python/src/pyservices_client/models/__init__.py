"""Contains all the data models used in inputs/outputs"""

from .digest_job import DigestJob
from .digest_params import DigestParams
from .item_create import ItemCreate
from .item_read import ItemRead
from .item_update import ItemUpdate
from .item_with_owner import ItemWithOwner
from .job_accepted import JobAccepted
from .job_accepted_status import JobAcceptedStatus
from .job_read import JobRead
from .job_read_status import JobReadStatus
from .owner import Owner
from .owner_summary import OwnerSummary
from .page_item_read import PageItemRead
from .page_item_with_owner import PageItemWithOwner
from .page_job_read import PageJobRead
from .page_task_read import PageTaskRead
from .page_user_read import PageUserRead
from .password_login import PasswordLogin
from .problem import Problem
from .problem_checks import ProblemChecks
from .problem_errors_item import ProblemErrorsItem
from .report_job import ReportJob
from .report_params import ReportParams
from .task_create import TaskCreate
from .task_read import TaskRead
from .task_summary import TaskSummary
from .task_update import TaskUpdate
from .token import Token
from .user_create import UserCreate
from .user_private import UserPrivate
from .user_read import UserRead
from .user_update import UserUpdate

__all__ = (
    "DigestJob",
    "DigestParams",
    "ItemCreate",
    "ItemRead",
    "ItemUpdate",
    "ItemWithOwner",
    "JobAccepted",
    "JobAcceptedStatus",
    "JobRead",
    "JobReadStatus",
    "Owner",
    "OwnerSummary",
    "PageItemRead",
    "PageItemWithOwner",
    "PageJobRead",
    "PageTaskRead",
    "PageUserRead",
    "PasswordLogin",
    "Problem",
    "ProblemChecks",
    "ProblemErrorsItem",
    "ReportJob",
    "ReportParams",
    "TaskCreate",
    "TaskRead",
    "TaskSummary",
    "TaskUpdate",
    "Token",
    "UserCreate",
    "UserPrivate",
    "UserRead",
    "UserUpdate",
)
