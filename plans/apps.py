from django.apps import AppConfig


class PlansConfig(AppConfig):
    """Metronome 1.0: credit grants and plans, kept on contracts underneath (no second engine)."""

    name = "plans"
