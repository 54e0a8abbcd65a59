"""Unknown API paths are a JSON 404 and a wrong method a JSON 405, for every method and with
DEBUG on or off; console paths keep their HTML 404 page. Through the official SDK too."""

import metronome
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
API_PATHS = ("/v1", "/v2", "/v1/", "/v2/nothing/here", "/v1/customers/", "/v1/contracts/list/")


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", API_PATHS)
def test_unknown_api_path_is_a_json_404(debug, api, method, path):
    response = getattr(api, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": f"No endpoint at {path}."}


@pytest.mark.parametrize("method", METHODS)
def test_unknown_api_path_is_a_json_404_without_a_token(debug, method):
    response = getattr(Client(), method)("/v1/no-such-endpoint")
    assert (response.status_code, response.json()) == (
        404,
        {"message": "No endpoint at /v1/no-such-endpoint."},
    )


@pytest.mark.parametrize("path", ["/no-such-page/", "/v1x", "/customers/nothing/here/"])
def test_console_paths_keep_the_html_404(debug, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/v1/customers/archive", "POST"),
        ("put", "/v1/customers", "GET"),
        ("delete", "/v1/ingest", "POST"),
        ("post", "/v1/billable-metrics", "GET"),
    ],
)
def test_wrong_method_on_a_known_api_path_is_a_json_405(debug, api, method, path, allowed):
    response = getattr(api, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["message"] == f'Method "{method.upper()}" not allowed.'
    assert allowed in response["Allow"]


@pytest.mark.sdk
def test_the_sdk_sees_not_found_for_an_unknown_path(sdk):
    with pytest.raises(metronome.NotFoundError) as err:
        sdk.post("/v1/no/such/endpoint", cast_to=object, body={})
    assert err.value.body == {"message": "No endpoint at /v1/no/such/endpoint."}
    with pytest.raises(metronome.APIStatusError) as err:
        sdk.get("/v1/customers/archive", cast_to=object)
    assert err.value.status_code == 405
    assert err.value.body == {"message": 'Method "GET" not allowed.'}
