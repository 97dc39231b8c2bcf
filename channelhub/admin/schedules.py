"""django-q's admin, made safe: a schedule names code, so nobody types it in.

django-q's own admin lets anyone with `change_schedule` set a schedule's function, arguments
and hook, and offers "resubmit" on every finished task: both run whatever is named on the
worker host. Here:

- schedules are listed read-only for staff; a superuser may edit one only to pick one of
  channelhub's own tasks (`channelhub.taskguard.ALLOWED_TASKS`) with literal arguments, and
  the hook is never editable (the model-level guard refuses the rest whoever saves);
- what a supervisor needs has its own audited actions: pause, resume, run now (`run_sync`);
- finished and failed tasks are read-only, without "resubmit" (run a schedule now instead).
"""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.contrib import admin, messages
from django_q import admin as q_admin
from django_q.models import Failure, Schedule, Success

from channelhub.admin.kit import ReadOnlyAdminMixin, status_badge
from channelhub.services import ServiceError
from channelhub.sync.schedules import is_paused, schedule_pause, schedule_resume, schedule_run_now
from channelhub.taskguard import ALLOWED_TASKS, TaskRefused, check_schedule_fields


class ScheduleForm(forms.ModelForm):
    """A schedule's edit form: the function picked from channelhub's own tasks, and no hook field."""

    func = forms.ChoiceField(
        choices=sorted((name, name) for name in ALLOWED_TASKS), help_text="One of channelhub's own tasks."
    )

    class Meta:
        model = Schedule
        # Not the hook (code run with a task's result) nor the task it last made.
        fields = (
            "name",
            "func",
            "args",
            "kwargs",
            "schedule_type",
            "minutes",
            "repeats",
            "next_run",
            "cron",
            "cluster",
            "intended_date_kwarg",
        )

    def clean(self):
        """Refuse a function or arguments the task guard would refuse on save."""
        data = super().clean()
        try:
            check_schedule_fields(
                func=data.get("func"), hook="", args=data.get("args"), kwargs=data.get("kwargs")
            )
        except TaskRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        return data


for _model in (Schedule, Success, Failure):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Schedule)
class ScheduleAdmin(q_admin.ScheduleAdmin):
    """Schedules read-only for staff, editable by superusers, with audited pause/resume/run now."""

    form = ScheduleForm
    list_display = ("name", "func", "state", "minutes", "next_run", "get_last_run", "get_success")
    list_display_links = ("name",)
    actions: ClassVar[list[str]] = ["run_now_selected", "pause_selected", "resume_selected"]

    def has_add_permission(self, request):
        """Only a superuser may add a schedule."""
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        """Only a superuser may edit a schedule (others see it read-only)."""
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        """Only a superuser may delete a schedule."""
        return request.user.is_superuser

    def has_run_sync_permission(self, request):
        """Who may pause, resume and run schedules: the `run_sync` permission (supervisors)."""
        return request.user.has_perm("channelhub.run_sync")

    @admin.display(description="state")
    def state(self, obj):
        """A badge: paused or active."""
        return status_badge("paused" if is_paused(obj) else "active")

    def _each(self, request, queryset, verb, call):
        done = []
        for schedule in queryset:
            try:
                call(schedule)
            except ServiceError as error:
                self.message_user(request, f"{schedule.name}: {error.message}", messages.ERROR)
            else:
                done.append(schedule.name)
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)

    @admin.action(description="Run selected schedules now", permissions=["run_sync"])
    def run_now_selected(self, request, queryset):
        """Hand each selected schedule's task to a worker now (audited)."""
        self._each(
            request,
            queryset,
            "Handed to a worker",
            lambda s: schedule_run_now(schedule=s, actor=request.user),
        )

    @admin.action(description="Pause selected schedules", permissions=["run_sync"])
    def pause_selected(self, request, queryset):
        """Pause each selected schedule (audited)."""
        self._each(
            request,
            queryset,
            "Paused",
            lambda s: schedule_pause(schedule=s, actor=request.user, reason="Paused from the schedules list"),
        )

    @admin.action(description="Resume selected schedules", permissions=["run_sync"])
    def resume_selected(self, request, queryset):
        """Resume each selected schedule (audited)."""
        self._each(request, queryset, "Resumed", lambda s: schedule_resume(schedule=s, actor=request.user))


@admin.register(Success)
class SuccessAdmin(ReadOnlyAdminMixin, q_admin.TaskAdmin):
    """Finished tasks, read-only and without django-q's "resubmit"."""

    actions: ClassVar[list[str]] = []


@admin.register(Failure)
class FailureAdmin(ReadOnlyAdminMixin, q_admin.FailAdmin):
    """Failed tasks, read-only and without django-q's "resubmit"."""

    actions: ClassVar[list[str]] = []
