"""The API, the page and the command: wiring, status codes, permissions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from rmdesk.customers.models import Customer
from rmdesk.ingest.models import ImportRun
from rmdesk.ingest.tests.helpers import run_import

GOOD = b"customer_no,kind,name,home_unit\nP1,individual,\xe7\x8e\x8b\xe4\xb8\x80,SA1\n"
BAD = GOOD + b"P2,individual,x,NOPE\n"


def upload(data: bytes = GOOD) -> SimpleUploadedFile:
    return SimpleUploadedFile("customers.csv", data, content_type="text/csv")


@pytest.mark.parametrize("who", ["ops_officer", "admin"])
def test_api_upload_list_detail_errors(cast, client_for, who):
    client = client_for(getattr(cast, who))
    response = client.post("/api/v1/imports/customers", {"file": upload(BAD)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["new"], body["rejected"]) == ("done", 1, 1)
    assert body["started_by"] == getattr(cast, who).username
    listed = client.get("/api/v1/imports").json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert client.get(f"/api/v1/imports/{body['id']}").json()["rows"] == 2
    csv = client.get(f"/api/v1/imports/{body['id']}/errors.csv")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,field,code,reason"
    # The reason is in the uploader's language; the first three columns are stable.
    assert lines[1].startswith("3,home_unit,UNKNOWN_UNIT,")
    assert len(lines) == 2


def test_api_dry_run_and_repeat(cast, client_for):
    client = client_for(cast.ops_officer)
    dry = client.post("/api/v1/imports/customers", {"file": upload(), "dry_run": "true"}).json()
    assert (dry["status"], dry["dry_run"], dry["new"]) == ("done", True, 1)
    assert not Customer.objects.filter(customer_no="P1").exists()
    assert client.post("/api/v1/imports/customers", {"file": upload()}).json()["status"] == "done"
    assert client.post("/api/v1/imports/customers", {"file": upload()}).json()["status"] == "repeat"


@pytest.mark.parametrize("who", ["manager", "branch_head", "analyst", "auditor"])
def test_api_refuses_other_roles(cast, client_for, who):
    other_run = run_import(cast.admin, "customers", GOOD)
    client = client_for(getattr(cast, who))
    assert client.post("/api/v1/imports/customers", {"file": upload()}).status_code == 403
    assert client.get("/api/v1/imports").status_code == 403
    assert client.get(f"/api/v1/imports/{other_run.pk}").status_code == 403
    assert client.get(f"/api/v1/imports/{other_run.pk}/errors.csv").status_code == 403
    assert ImportRun.objects.count() == 1


def test_officer_of_another_department_is_refused(cast, client_for):
    from rmdesk.org.models import Department
    from rmdesk.org.roles import Role
    from rmdesk.org.tests.factories import DepartmentFactory, StaffFactory

    risk = DepartmentFactory(org_unit=cast.branch_a, kind=Department.Kind.RISK)
    officer = StaffFactory(
        username="risk", org_unit=cast.branch_a, roles=[Role.DEPARTMENT_OFFICER], department=risk
    )
    assert client_for(officer).get("/api/v1/imports").status_code == 403


def test_api_too_large_and_bad_header(cast, client_for, settings):
    settings.RMDESK_IMPORT_MAX_BYTES = 1000
    client = client_for(cast.ops_officer)
    big = client.post("/api/v1/imports/customers", {"file": upload(GOOD + b"#" * 2000)})
    assert big.status_code == 413
    assert big.json()["code"] == "file_too_large"
    missing = client.post(
        "/api/v1/imports/holdings",
        {"file": upload(b"customer_no,product_type,balance,opened_on\n")},
    )
    assert missing.status_code == 422
    body = missing.json()
    assert body["code"] == "missing_column"
    assert body["details"]["errors"][0]["field"] == "account_no"
    assert client.post("/api/v1/imports/products", {"file": upload()}).status_code == 422


def test_page(cast, browser_for):
    browser = browser_for(cast.ops_officer)
    assert browser.get("/imports/").status_code == 200
    response = browser.post("/imports/", {"feed": "customers", "file": upload(BAD)})
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert response["Location"] == f"/imports/{run.pk}/"
    detail = browser.get(f"/imports/{run.pk}/")
    assert detail.status_code == 200
    assert "UNKNOWN_UNIT" in detail.content.decode()
    assert browser.get(f"/imports/{run.pk}/errors.csv").status_code == 200
    listing = browser.get("/imports/").content.decode()
    assert "customers.csv" in listing


@pytest.mark.parametrize("who", ["manager", "subbranch_head", "auditor"])
def test_page_refuses_other_roles(cast, browser_for, who):
    run = run_import(cast.admin, "customers", GOOD)
    browser = browser_for(getattr(cast, who))
    assert browser.get("/imports/").status_code == 403
    assert browser.post("/imports/", {"feed": "customers", "file": upload()}).status_code == 403
    assert browser.get(f"/imports/{run.pk}/").status_code == 403


def test_command(cast, tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_bytes(BAD)
    with pytest.raises(CommandError) as refused:
        call_command("import", "customers", str(path), "--as", "ops", "--progress-every", "1")
    assert refused.value.returncode == 2
    out, err = capsys.readouterr()
    assert "new 1, changed 0, unchanged 0, rejected 1" in out
    assert "rows read: 2" in err
    errors = (tmp_path / "c.csv.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert errors[1].startswith("3,home_unit,UNKNOWN_UNIT")
    call_command("import", "customers", str(path))  # a repeat exits 0
    assert "repeat" in capsys.readouterr().out
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError) as failed:
        call_command("import", "customers", str(empty), "--errors", str(tmp_path / "out.csv"))
    assert failed.value.returncode == 1
    assert (tmp_path / "out.csv").exists()


def test_progress_fragment_polls_while_running_and_reloads_when_done(cast, browser_for):
    run = ImportRun.objects.create(
        feed="customers", file_name="big.csv", sha256="x", size=1000, started_at=timezone.now()
    )
    ImportRun.objects.filter(pk=run.pk).update(rows_done=1234, bytes_done=500)
    browser = browser_for(cast.ops_officer)
    page = browser.get(f"/imports/{run.pk}/").content.decode()
    assert f'hx-get="/imports/{run.pk}/progress/"' in page
    fragment = browser.get(f"/imports/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert "1234" in fragment.content.decode()
    assert 'value="500"' in fragment.content.decode()
    assert "HX-Refresh" not in fragment
    ImportRun.objects.filter(pk=run.pk).update(status="done", rows=2000)
    done = browser.get(f"/imports/{run.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    assert "hx-get" not in done.content.decode()
    assert browser_for(cast.manager).get(f"/imports/{run.pk}/progress/").status_code == 403


@pytest.fixture
def product_officer(cast):
    from rmdesk.org.models import Department
    from rmdesk.org.roles import Role
    from rmdesk.org.tests.factories import DepartmentFactory, StaffFactory

    shelf = DepartmentFactory(org_unit=cast.head_office, kind=Department.Kind.WEALTH_PRODUCT)
    return StaffFactory(
        username="shelf",
        org_unit=cast.head_office,
        roles=[Role.DEPARTMENT_OFFICER],
        department=shelf,
    )


PRODUCTS = (
    "code,name,type,issuer_type,asset_class,risk_level,status\n"
    "WM001,稳健理财1号,wm_public,wm_subsidiary,fixed_income,R2,on_sale\n"
).encode()


def test_a_product_officer_imports_the_products_feed_only(cast, client_for, product_officer):
    from rmdesk.marketing.models import Product

    customers_run = run_import(cast.admin, "customers", GOOD)
    client = client_for(product_officer)
    response = client.post("/api/v1/imports/products", {"file": upload(PRODUCTS)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["feed"], body["status"], body["new"]) == ("products", "done", 1)
    assert Product.objects.filter(code="WM001").exists()
    for feed in ("customers", "holdings", "transactions"):
        assert client.post(f"/api/v1/imports/{feed}", {"file": upload()}).status_code == 403
    # The runs of the other feeds are out of their sight.
    assert [item["id"] for item in client.get("/api/v1/imports").json()["items"]] == [body["id"]]
    assert client.get(f"/api/v1/imports/{customers_run.pk}").status_code == 404
    assert client.get(f"/api/v1/imports/{customers_run.pk}/errors.csv").status_code == 404
    assert ImportRun.objects.count() == 2
    # Operations still see every run, the products run among them.
    listed = client_for(cast.ops_officer).get("/api/v1/imports").json()["items"]
    assert {item["id"] for item in listed} == {body["id"], customers_run.pk}


def test_a_product_officer_on_the_page(cast, browser_for, product_officer):
    browser = browser_for(product_officer)
    page = browser.get("/imports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="products"' in html
    assert 'value="customers"' not in html
    refused = browser.post("/imports/", {"feed": "customers", "file": upload()})
    assert refused.status_code == 200  # the form says the feed is not a choice
    assert not ImportRun.objects.exists()
    response = browser.post("/imports/", {"feed": "products", "file": upload(PRODUCTS)})
    assert response.status_code == 302
    assert ImportRun.objects.get().feed == "products"


def test_a_product_officer_with_the_command(cast, tmp_path, capsys, product_officer):
    products = tmp_path / "p.csv"
    products.write_bytes(PRODUCTS)
    call_command("import", "products", str(products), "--as", "shelf")
    assert "new 1, changed 0, unchanged 0, rejected 0" in capsys.readouterr().out
    customers = tmp_path / "c.csv"
    customers.write_bytes(GOOD)
    with pytest.raises(CommandError) as refused:
        call_command("import", "customers", str(customers), "--as", "shelf")
    assert refused.value.returncode == 1
    assert not Customer.objects.filter(customer_no="P1").exists()
    assert list(ImportRun.objects.values_list("feed", flat=True)) == ["products"]
