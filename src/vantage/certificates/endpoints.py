"""`/v1/client-certificates`: create, list, read and delete. Answers carry the host, the
certificate and the CA bundle, never the key or passphrase."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vantage.accounts.auth import CurrentAccount
from vantage.api.common import errors, json_body
from vantage.api.openapi import answer, no_content, request_body
from vantage.certificates.pem import check_material
from vantage.db.tables import client_certificates
from vantage.errors import NotFound
from vantage.runtime import Runtime, get_runtime
from vantage.timeutil import iso, utcnow
from vantage.validation import bad_request

router = APIRouter(tags=["Client certificates"], responses=errors(401))
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NOT_FOUND = "No such client certificate."
PEM = Annotated[str, Field(min_length=1, max_length=64_000)]
# What an answer carries that clients send back (the Go SDK always sends `created_at`).
READ_ONLY = frozenset({"id", "created_at", "createdAt"})


class CertificateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: Annotated[str, Field(min_length=1, max_length=255)]
    cert: PEM
    key: PEM | None = None
    passphrase: Annotated[str, Field(max_length=1024)] | None = None
    ca: PEM | None = None


class Certificate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    host: str
    cert: str
    ca: str | None
    created_at: str


def _wire(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "host": row.host,
        "cert": row.cert,
        "ca": row.ca,
        "created_at": iso(row.created_at),
    }


def _of_account(account_id: str) -> sa.Select[Any]:
    return sa.select(client_certificates).where(client_certificates.c.account_id == account_id)


@router.post(
    "/v1/client-certificates",
    status_code=201,
    summary="Create a client certificate",
    responses={**errors(400), **answer(201, "The certificate", "ClientCertificate", Certificate)},
    openapi_extra=request_body("ClientCertificateCreate", CertificateCreate),
)
async def create(request: Request, account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    payload = await json_body(request)
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k not in READ_ONLY}
    try:
        body = CertificateCreate.model_validate(payload)
    except ValidationError as exc:
        raise bad_request(exc) from None
    check_material(body.cert, body.key, body.passphrase, body.ca)
    sealer = runtime.sealer
    values = {
        "id": str(uuid.uuid4()),
        "account_id": account.id,
        "host": body.host,
        "cert": body.cert,
        "ca": body.ca or None,
        "sealed_key": sealer.seal(body.key) if body.key else None,
        "sealed_passphrase": sealer.seal(body.passphrase) if body.passphrase else None,
        "created_at": utcnow(),
    }
    async with runtime.db.write() as conn:
        await conn.execute(client_certificates.insert().values(**values))
        row = (
            await conn.execute(
                _of_account(account.id).where(client_certificates.c.id == values["id"])
            )
        ).one()
    return JSONResponse(_wire(row), status_code=201)


@router.get(
    "/v1/client-certificates",
    summary="List the client certificates",
    responses=answer(200, "The certificates", "ClientCertificateList", list[Certificate]),
)
async def list_all(account: CurrentAccount, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.db.read() as conn:
        rows = (
            await conn.execute(
                _of_account(account.id).order_by(
                    client_certificates.c.created_at, client_certificates.c.id
                )
            )
        ).all()
    return JSONResponse([_wire(row) for row in rows])


@router.get(
    "/v1/client-certificates/{certificate_id}",
    summary="Retrieve a client certificate",
    responses={**errors(404), **answer(200, "The certificate", "ClientCertificate", Certificate)},
)
async def get_one(
    certificate_id: str, account: CurrentAccount, runtime: RuntimeDep
) -> JSONResponse:
    async with runtime.db.read() as conn:
        row = (
            await conn.execute(
                _of_account(account.id).where(client_certificates.c.id == certificate_id)
            )
        ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return JSONResponse(_wire(row))


@router.delete(
    "/v1/client-certificates/{certificate_id}",
    status_code=204,
    summary="Delete a client certificate",
    responses={**errors(404), **no_content("Deleted")},
)
async def delete(certificate_id: str, account: CurrentAccount, runtime: RuntimeDep) -> Response:
    async with runtime.db.write() as conn:
        result = await conn.execute(
            client_certificates.delete().where(
                client_certificates.c.account_id == account.id,
                client_certificates.c.id == certificate_id,
            )
        )
    if not result.rowcount:
        raise NotFound(NOT_FOUND)
    return Response(status_code=204)
