from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        # The customers list's billing columns come from here (customers/list_figures.py).
        from customers.list_figures import list_figures_register
        from reports.customer_spend import CustomerListFigures

        list_figures_register(CustomerListFigures())
