from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("", views.people_page, name="people"),
    path("invite", views.person_invite, name="person-invite"),
    path("<int:user_id>/role", views.person_role, name="person-role"),
    path("<int:user_id>/link", views.person_new_link, name="person-link"),
    path("<int:user_id>/deactivate", views.person_deactivate, name="person-deactivate"),
    path("<int:user_id>/reactivate", views.person_reactivate, name="person-reactivate"),
    path("unlock", views.signin_unlock, name="signin-unlock"),
]
