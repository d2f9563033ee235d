"""The widgets drawn in Python write exactly what Django's templates write."""

from __future__ import annotations

from django import forms

from governance import widgets

CHOICES = [("", "全部"), ("a", "<b>甲</b> & 乙"), ("b", '"丙"'), ("组", [("c", "丁"), ("d", "戊")])]


def test_a_select_is_drawn_as_django_draws_it():
    for value in ("", "a", "c", None):
        django = forms.Select(attrs={"class": "x", "required": True}, choices=CHOICES)
        ours = widgets.Select(attrs={"class": "x", "required": True}, choices=CHOICES)
        assert ours.render("area", value, {"id": "id_area"}) == django.render(
            "area", value, {"id": "id_area"}
        )
        assert "<b>" not in ours.render("area", value)  # labels escaped


def test_a_yes_no_select_is_drawn_as_django_draws_it():
    for value in (None, True, False):
        assert widgets.NullBooleanSelect().render("overdue", value) == (
            forms.NullBooleanSelect().render("overdue", value)
        )


def test_check_boxes_are_drawn_as_django_draws_them():
    class Form(forms.Form):
        status = forms.MultipleChoiceField(choices=CHOICES[:3], widget=forms.CheckboxSelectMultiple)

    class Ours(Form):
        status = forms.MultipleChoiceField(
            choices=CHOICES[:3], widget=widgets.CheckboxSelectMultiple
        )

    for data in ({"status": ["a"]}, {}):
        theirs = [o.tag() for o in Form(data)["status"]] + [str(Form(data)["status"])]
        ours = [o.tag() for o in Ours(data)["status"]] + [str(Ours(data)["status"])]
        assert ours == theirs
        assert all("<b>" not in tag for tag in ours)


def test_text_and_date_inputs_are_drawn_as_django_draws_them():
    attrs = {"placeholder": '编号 <或> "标题"', "required": True}
    for value in (None, "", "井盖 & <b>", 12):
        assert widgets.TextInput(attrs=attrs).render("q", value, {"id": "id_q"}) == (
            forms.TextInput(attrs=attrs).render("q", value, {"id": "id_q"})
        )
    ours, theirs = widgets.DateInput(), forms.DateInput()
    ours.input_type = theirs.input_type = "date"
    for value in (None, "2026-03-02", "not a date"):
        assert ours.render("reported_from", value) == theirs.render("reported_from", value)
        assert 'type="date"' in ours.render("reported_from", value)


def test_hidden_inputs_and_text_areas_are_drawn_as_django_draws_them():
    attrs = {"rows": 2, "placeholder": '<或> "标题"', "required": True, "disabled": False}
    for value in (None, "", 0, 7, "井盖 & <b>", "第一行\n第二行"):
        assert widgets.HiddenInput().render("v", value, {"id": "id_v"}) == (
            forms.HiddenInput().render("v", value, {"id": "id_v"})
        )
        assert widgets.Textarea(attrs=attrs).render("c", value, {"id": "id_c"}) == (
            forms.Textarea(attrs=attrs).render("c", value, {"id": "id_c"})
        )
    assert "<b>" not in widgets.Textarea().render("c", "<b>")


def test_a_file_input_is_drawn_as_django_draws_it():
    class Kept:  # a file already stored: Django's template draws it, with its link
        url = "/media/a.jpg"

        def __str__(self):
            return "a.jpg"

    class Ours(widgets.ClearableFileInput):
        allow_multiple_selected = True

    class Theirs(forms.ClearableFileInput):
        allow_multiple_selected = True

    attrs = {"accept": "image/*", "multiple": True, "capture": "environment", "x": '<"b">'}
    for value in (None, "", Kept()):
        for required in (True, False):
            ours, theirs = Ours(attrs), Theirs(attrs)
            ours.is_required = theirs.is_required = required
            assert ours.render("p", value, {"id": "id_p"}) == (
                theirs.render("p", value, {"id": "id_p"})
            )


FLAT = [("", "全部"), ("a", "<b>甲</b> & 乙"), ("b", '"丙"'), (None, "无"), (3, "三")]


def test_a_select_of_flat_choices_takes_the_fast_path_and_draws_what_django_draws():
    for value in ("", "a", "3", 3, None, ["b"], "不在列表"):
        for attrs in (None, {"id": "id_area", "aria-invalid": "true"}):
            django = forms.Select(attrs={"class": "x", "disabled": False}, choices=FLAT)
            ours = widgets.Select(attrs={"class": "x", "disabled": False}, choices=FLAT)
            assert ours.render("area", value, attrs) == django.render("area", value, attrs)
            assert "<b>" not in ours.render("area", value, attrs)


def test_the_check_boxes_fast_path_gives_what_iterating_the_field_gives():
    """``option_tags`` (the filter form's check boxes) against the BoundWidgets Django yields,
    with a value, without, with an invalid one (the error marks every box) and unbound."""

    class Form(forms.Form):
        status = forms.MultipleChoiceField(
            choices=FLAT[1:], widget=widgets.CheckboxSelectMultiple, required=False
        )

    invalid = Form({"status": ["<x>"]})["status"]
    assert (
        invalid.errors
        and 'aria-invalid="true"'
        in invalid.field.widget.option_tags(
            invalid.html_name, invalid.value(), invalid.build_widget_attrs({"id": invalid.auto_id})
        )[0][0]
    )
    for data in ({"status": ["a", "3"]}, {}, {"status": ["<x>"]}, None):
        field = Form(data)["status"]
        field.errors  # noqa: B018 (validates: an invalid value adds aria-invalid)
        theirs = [(option.tag(), option.choice_label) for option in field]
        widget = field.field.widget
        attrs = field.build_widget_attrs({"id": field.auto_id})
        ours = widget.option_tags(field.html_name, field.value(), attrs)
        assert ours == theirs
        assert all("<b>" not in tag for tag, _label in ours)
    grouped = widgets.CheckboxSelectMultiple(choices=CHOICES)
    assert grouped.option_tags("status", None) is None  # groups: Django's own path
