from django.urls import path

app_name = "pricing"

urlpatterns: list = []
