from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "exceptions.workflows"
    label = "workflows"  # the label predates the move into exceptions: migrations and tables keep it
    verbose_name = "Event-driven workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.templatetags.nav import NavLink, register_nav_link

        from . import receivers  # noqa: F401  (connects integrations.signals.inbound_applied)

        register_nav_link(
            NavLink(
                "workflows_tasks",
                "workflows:task_list",
                "Workflow tasks",
                permission="workflows.view_workflowtask",
            ),
            before="skus",
        )
        register_nav_link(
            NavLink(
                "workflows_events",
                "workflows:event_list",
                "Events",
                permission="workflows.view_domainevent",
            ),
            before="skus",
        )
