from governance.models.base import (
    AppendOnlyModel,
    LimitedTextField,
    TimeStampedModel,
    TreeModel,
)
from governance.models.calendar import CalendarDay, WorkingHours
from governance.models.changes import ObjectChange
from governance.models.notifications import Delivery, Notification
from governance.models.people import Department, RoleAssignment, User
from governance.models.privacy import PersonalDataAccess
from governance.models.roles import AREA_ROLES, DEPARTMENT_ROLES, Role
from governance.models.tokens import ApiToken
from governance.models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AREA_ROLES",
    "DEPARTMENT_ROLES",
    "ApiToken",
    "AppendOnlyModel",
    "CalendarDay",
    "Delivery",
    "Department",
    "LimitedTextField",
    "Notification",
    "ObjectChange",
    "PersonalDataAccess",
    "Role",
    "RoleAssignment",
    "TimeStampedModel",
    "TreeModel",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkingHours",
]
