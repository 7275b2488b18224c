from django.apps import AppConfig

from replenish.core.roles import AUDITORS, MANAGERS


class GovernanceConfig(AppConfig):
    name = "governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.core.ports import decision_policy_provide
        from replenish.templatetags.nav import NavLink, register_nav_link

        from . import policy
        from .selectors import approvals_waiting_count

        decision_policy_provide(policy)  # the exceptions services ask governance through this port

        from axes.signals import user_locked_out

        from .lockout import on_user_locked_out

        user_locked_out.connect(on_user_locked_out, dispatch_uid="governance.login_lockout")

        from integrations.signals import posting_completed

        from .order_points import on_posting_completed

        posting_completed.connect(on_posting_completed, dispatch_uid="governance.order_point_mirrored")
        register_nav_link(
            NavLink(
                "approvals",
                "governance:approvals",
                "Approvals",
                roles=MANAGERS,
                counter=approvals_waiting_count,
            )
        )
        register_nav_link(NavLink("kpis", "governance:kpis", "KPIs", roles=MANAGERS))
        register_nav_link(NavLink("policies", "governance:policies", "Policies", roles=MANAGERS))
        register_nav_link(NavLink("drift", "governance:drift", "Drift", roles=MANAGERS))
        register_nav_link(NavLink("overrides", "governance:overrides", "Override history", roles=AUDITORS))
        register_nav_link(NavLink("audit", "governance:audit_trail", "Audit trail", roles=AUDITORS))
