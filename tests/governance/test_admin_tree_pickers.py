"""Keys to a tree model are picked from the tree in every admin form, never typed as raw ids."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import (
    AutocompleteSelect,
    ForeignKeyRawIdWidget,
    ManyToManyRawIdWidget,
    RelatedFieldWidgetWrapper,
)
from django.test import RequestFactory
from django.urls import reverse
from mptt.forms import TreeNodeChoiceField, TreeNodeMultipleChoiceField

from governance.models import TreeModel
from tests.factories import grant_admin_site_access


def _tree_keys(model):
    for field in model._meta.get_fields():
        related = getattr(field, "related_model", None)
        if (
            (field.many_to_one or field.many_to_many)
            and not field.auto_created
            and related is not None
            and issubclass(related, TreeModel)
        ):
            yield field.name


def _forms(request):
    for model, model_admin in admin.site._registry.items():
        yield type(model_admin).__name__, model, model_admin.get_form(request), None
        for inline in model_admin.get_inline_instances(request):
            formset = inline.get_formset(request)
            yield type(inline).__name__, inline.model, formset.form, formset.fk.name


@pytest.mark.django_db
def test_every_tree_key_of_every_admin_form_is_a_tree_picker(cast):
    request = RequestFactory().get("/admin/")
    request.user = cast.superuser
    checked = []
    for name, model, form, parent_key in _forms(request):
        for key in _tree_keys(model):
            field = form.base_fields.get(key)
            if field is None or key == parent_key:  # not on the form, or the inline's parent
                continue
            widget = field.widget
            if isinstance(widget, RelatedFieldWidgetWrapper):
                widget = widget.widget
            assert not isinstance(widget, ForeignKeyRawIdWidget | ManyToManyRawIdWidget), (
                f"{name}.{key} is a raw id box"
            )
            if not isinstance(widget, AutocompleteSelect):
                assert isinstance(field, TreeNodeChoiceField | TreeNodeMultipleChoiceField), (
                    f"{name}.{key}"
                )
            checked.append(f"{name}.{key}")
    assert {"AreaAdmin.parent", "PartyOrganizationAdmin.parent", "TimeLimitAdmin.category"} <= set(
        checked
    )


@pytest.mark.django_db
def test_the_area_parent_picker_offers_the_admins_subtree_indented_in_code_order(
    client, tree, cast
):
    grant_admin_site_access(cast.admin_a)
    client.force_login(cast.admin_a)
    page = client.get(reverse("admin:grids_area_add"))
    assert page.status_code == 200
    picker = page.context["adminform"].form.fields["parent"]
    assert isinstance(picker, TreeNodeChoiceField)
    offered = [choice[1] for choice in picker.choices if choice[0]]
    # The admin's community, then its subtree in tree order, indented by level.
    assert offered[0] == "--- 青松社区"
    assert not any("柳荫" in o or "示范街道" in o for o in offered)
    assert offered.index("------ 青松第一网格") < offered.index("------ 青松第二网格")
    body = page.content.decode()
    assert (
        '<select name="parent"' in body
        and 'id="id_parent" class="vForeignKeyRawIdAdminField' not in body
    )
