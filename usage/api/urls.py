"""The usage app's read API mounts (filled in by the API work)."""

API_MOUNTS: tuple = ()
urlpatterns: list = []
