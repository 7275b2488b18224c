from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Event-driven workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.templatetags.nav import NavLink, register_nav_link

        from . import receivers  # noqa: F401  (connects integrations.signals.inbound_applied)
        from .selectors import customer_service_open_count

        register_nav_link(
            NavLink(
                "workflows_service",
                "workflows:service_queue",
                "At-risk orders",
                roles=frozenset({"customer_service", "manager", "auditor"}),
                counter=customer_service_open_count,
            ),
            before="skus",
        )
        register_nav_link(
            NavLink(
                "workflows_tasks",
                "workflows:task_list",
                "Workflow tasks",
                roles=frozenset({"buyer", "warehouse_supervisor", "manager", "auditor"}),
            ),
            before="skus",
        )
        register_nav_link(
            NavLink(
                "workflows_events", "workflows:event_list", "Events", roles=frozenset({"manager", "auditor"})
            ),
            before="skus",
        )
