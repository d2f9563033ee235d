from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Case handling")

    def ready(self) -> None:
        from casework.models import Attachment, Case, CaseEvent, Category, ResponseTemplate
        from governance import changelog, scopes

        scopes.register(
            Case,
            scopes.ScopeRule(area_path="area", department_path="department"),
        )
        scopes.register(
            CaseEvent,
            scopes.ScopeRule(area_path="case__area", department_path="case__department"),
        )
        scopes.register(
            Attachment,
            scopes.ScopeRule(area_path="case__area", department_path="case__department"),
        )
        changelog.register(Case, area_path="area")
        changelog.register(Category)
        changelog.register(ResponseTemplate)
