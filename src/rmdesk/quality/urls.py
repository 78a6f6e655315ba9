from django.urls import path

from rmdesk.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.my_scorecard, name="mine"),
    path("staff/<int:staff_id>/", views.staff_scorecard, name="staff"),
    path("board/", views.board, name="board"),
    path("board.csv", views.board_export, name="board_export"),
]
