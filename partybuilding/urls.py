app_name = "partybuilding"

urlpatterns: list = []
