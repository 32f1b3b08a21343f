"""Admin pages for the working-day calendar (工作日历).

Every change goes through the domain functions in ``calendar_actions`` — never a plain model
save — so each edit is audited, marks its year as maintained by hand and refreshes the
calendar cache. Years are read-only here: they change by importing the State Council notice
(the "导入国务院节假日安排" page) or by editing single days.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from .calendar_actions import check_calendar_day, import_year_schedule, set_calendar_day
from .calendar_schedule import decode_schedule_bytes, weekday_name
from .errors import DomainError
from .models import CalendarDay, CalendarYear, User

EDIT_PERMISSION = "core.edit_calendar"
MAX_UPLOAD_BYTES = 64 * 1024  # a year's schedule is a few hundred bytes
PLACEHOLDER = """# 国务院办公厅关于2027年部分节假日安排的通知
年份: 2027
通知: 国办发明电〔2026〕X号
元旦: 2027-01-01 至 2027-01-03 放假
春节: 2027-02-05 至 2027-02-12 放假; 2027-02-14 上班"""


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _can_edit(request: HttpRequest) -> bool:
    return request.user.has_perm(EDIT_PERMISSION)


def _error_lines(error: DomainError) -> list[str]:
    return [line for line in str(error.detail).splitlines() if line]


class _SysadminVisible:
    """Sysadmins (a `rules` role, not Django model permissions) see both calendar pages."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _can_edit(request) or super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_edit(request) or super().has_view_permission(request, obj)  # type: ignore[misc]


class YearFilter(admin.SimpleListFilter):
    title = "年份"
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarYear.objects.order_by("-year").values_list("year", flat=True)
        return [(str(year), f"{year}年") for year in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day = data.get("date") or (self.instance.date if self.instance.pk else None)
        if day is not None and data.get("kind"):
            try:
                check_calendar_day(day, data["kind"], (data.get("name") or "").strip())
            except DomainError as error:
                raise ValidationError(_error_lines(error)) from None
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(_SysadminVisible, admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["date", "weekday", "kind", "name"]
    list_filter = [YearFilter, "kind"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return weekday_name(obj.date)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The date is the primary key: changing it in the form would copy the row, not move it.
        return ["date"] if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _can_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_edit(request)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        set_calendar_day(obj.date, obj.kind, obj.name, _actor(request))

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        set_calendar_day(obj.date, None, "", _actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        with transaction.atomic():
            for day in queryset.values_list("date", flat=True):
                set_calendar_day(day, None, "", _actor(request))


class ScheduleImportForm(forms.Form):
    text = forms.CharField(
        label="安排内容",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90, "placeholder": PLACEHOLDER}),
        help_text="按国务院办公厅通知逐项填写；格式见 docs/calendar.md。也可以上传文本文件。",
    )
    file = forms.FileField(label="或上传文本文件", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        text = (data.get("text") or "").strip()
        if upload and text:
            raise ValidationError("请只填写文本框或只上传文件，不要同时提供")
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                raise ValidationError("文件过大（不超过64KB），请确认上传的是节假日安排文本")
            try:
                text = decode_schedule_bytes(upload.read())
            except DomainError as error:
                raise ValidationError(_error_lines(error)) from None
        if not text.strip():
            raise ValidationError("请填写节假日安排或上传文件")
        data["schedule"] = text
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(_SysadminVisible, admin.ModelAdmin):
    list_display = ["year", "source", "notice", "updated_at", "days_link"]
    list_filter = ["source"]
    search_fields = ["notice"]
    change_list_template = "admin/core/calendaryear/change_list.html"

    @admin.display(description="特殊日")
    def days_link(self, obj: CalendarYear) -> str:
        url = reverse("admin:core_calendarday_changelist") + f"?year={obj.year}"
        return format_html('<a href="{}">查看 {} 年放假与调休</a>', url, obj.year)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="core_calendaryear_import",
            )
        ]
        return extra + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**(extra_context or {}), "can_import": _can_edit(request)}
        return super().changelist_view(request, extra_context=context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not _can_edit(request):
            raise PermissionDenied("只有系统管理员可以导入节假日安排")
        form = ScheduleImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                row = import_year_schedule(form.cleaned_data["schedule"], _actor(request))
            except DomainError as error:
                form.add_error(
                    None, ValidationError(["导入失败，未做任何修改：", *_error_lines(error)])
                )
            else:
                self.message_user(
                    request,
                    f"已导入 {row.year} 年节假日安排，该年到期日不再标为暂估",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:core_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "导入国务院节假日安排",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/core/calendaryear/import.html", context)
