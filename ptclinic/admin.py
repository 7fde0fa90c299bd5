from django.contrib import admin

from ptclinic.models import Clinic, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "npi", "created_at"]
    search_fields = ["name", "npi"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "clinic", "role", "credential", "npi", "active"]
    list_filter = ["role", "credential", "active", "clinic"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "npi"]
    autocomplete_fields = ["user", "clinic"]
