"""The client-facing API contract every service shares (ADR 0021): error answers, operation ids,
the error statuses a route really gives, and field documentation in the OpenAPI document.

``install_api_contract`` (called by ``install_platform``) wires all of it into an app:

- every error answer is ``ErrorResponse`` (``{"detail": ..., "code": ...}``), whether it comes
  from a ``DomainError``, an ``HTTPException`` (auth included), request validation or routing;
- operation ids are ``<service>_<route function>`` (``operation_id_for``), unique across the
  five services so one client generator can merge their documents;
- a route's documented error statuses are the ones its code can give (``route_error_statuses``):
  401 when it needs a token, 422 when it takes input that can fail validation, and every
  status raised on the route's call path (its endpoint, its dependencies, and the functions
  they call in the service's package or in ``brokerage_common.auth``), found by reading their
  source; a status a route declares with its own description is kept (4xx as ErrorResponse);
- properties and parameters without a description or an example get them from the field
  glossary (``brokerage_common.glossary``).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import auth
from .errors import DomainError, ErrorResponse, code_for_status, error_body
from .glossary import document_parameters, document_properties
from .logging import mask_pii

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "the request cannot be served as sent",
    401: "missing, expired or invalid bearer token",
    403: "the token does not grant this (role, scope, another customer or branch)",
    404: "not found",
    409: "conflicts with the current state",
    410: "gone: no longer served here",
    422: "invalid input; for field errors `detail[].loc` names the field",
    503: "not available right now (e.g. the trading calendar does not reach the day yet)",
}

# The error answers a /v1 router declares (``APIRouter(responses=ERROR_RESPONSES)``): the
# candidates; the document keeps of them only those the route's code gives.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[status]}
    for status in (401, 403, 404, 409, 422)
}
_SHARED = {id(v) for v in ERROR_RESPONSES.values()}


def operation_id_for(service: str) -> Callable[[APIRoute], str]:
    """FastAPI's ``generate_unique_id_function``: ``<service>_<route function name>``.

    ``ops-assessment-svc`` gives ``ops_assessment_list_cases``; the route function names
    what the operation does, and the prefix keeps ids unique across the services.
    """
    prefix = service.removesuffix("-svc").replace("-", "_")

    def generate(route: APIRoute) -> str:
        return f"{prefix}_{route.name}"

    return generate


# ------------------------------------------------------------------ the statuses of a route


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _may_fail(field: Any, *, in_path: bool) -> bool:
    """Whether a parameter can fail validation: a plain ``str`` without constraints cannot,
    unless it is required and not in the path (then it can be missing)."""
    info = field.field_info
    if info.annotation not in (str, str | None) or info.metadata or info.json_schema_extra:
        return True
    return bool(info.is_required()) and not in_path


def _has_input(dependant: Dependant) -> bool:
    """Whether the route can answer FastAPI's 422: a body, or a parameter that may fail."""
    if dependant.body_params:
        return True
    if any(_may_fail(f, in_path=True) for f in dependant.path_params):
        return True
    params = dependant.query_params + dependant.header_params + dependant.cookie_params
    if any(_may_fail(f, in_path=False) for f in params):
        return True
    return any(_has_input(sub) for sub in dependant.dependencies)


def _resolve(node: ast.expr, scope: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, scope)
        return getattr(owner, node.attr, None) if owner is not None else None
    if isinstance(node, ast.Constant):
        return node.value
    return None


def _http_status(call: ast.Call, scope: dict[str, Any]) -> int | None:
    args = list(call.args[:1]) + [k.value for k in call.keywords if k.arg == "status_code"]
    for arg in args:
        value = _resolve(arg, scope)
        if isinstance(value, int):
            return value
    return None


def _raised_statuses(fn: Any, roots: tuple[str, ...], seen: set[int]) -> set[int]:
    """Statuses ``fn`` raises (or builds) itself or through functions of ``roots`` it calls."""
    fn = inspect.unwrap(fn)
    fn = getattr(fn, "__func__", fn)
    if not inspect.isfunction(fn) or id(fn) in seen:
        return set()
    seen.add(id(fn))
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return set()
    closure = inspect.getclosurevars(fn)
    scope = {**vars(builtins), **fn.__globals__}
    scope.update(closure.nonlocals)
    found: set[int] = set()
    for node in ast.walk(tree):
        target = node.exc if isinstance(node, ast.Raise) and node.exc is not None else None
        if isinstance(target, (ast.Name, ast.Attribute)):
            raised = _resolve(target, scope)
            if isinstance(raised, type) and issubclass(raised, DomainError):
                found.add(raised.status_code)
        if not isinstance(node, ast.Call):
            continue
        callee = _resolve(node.func, scope)
        if isinstance(callee, type):
            if issubclass(callee, DomainError):
                found.add(callee.status_code)
            elif issubclass(callee, StarletteHTTPException):
                status = _http_status(node, scope)
                if status is not None:
                    found.add(status)
        elif callable(callee) and (getattr(callee, "__module__", None) or "").startswith(roots):
            found |= _raised_statuses(callee, roots, seen)
    return found


def route_error_statuses(route: Any) -> set[int]:
    """The error statuses ``route`` (an ``APIRoute`` as included in the app: FastAPI's route
    context) can answer with, from its dependencies and its source."""
    package = route.endpoint.__module__.split(".", 1)[0]
    roots = (package, auth.__name__)
    calls = list(_calls(route.dependant))
    statuses: set[int] = set()
    if any(inspect.unwrap(c) is auth.current_principal for c in calls):
        statuses.add(401)
    if _has_input(route.dependant):
        statuses.add(422)
    seen: set[int] = set()
    for call in calls:
        statuses |= _raised_statuses(call, roots, seen)
    return {s for s in statuses if s >= 400}


# ------------------------------------------------------------------ the document


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value.rsplit("/", 1)[-1]
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _drop_unreferenced(doc: dict[str, Any]) -> None:
    schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    while True:
        used = set(_refs(doc["paths"]))
        used |= {r for name in used if name in schemas for r in _refs(schemas[name])}
        unused = [name for name in schemas if name not in used]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def _document_errors(app: FastAPI, doc: dict[str, Any]) -> None:
    routes = {
        r.unique_id: r
        for r in iter_route_contexts(app.routes)
        if isinstance(r.original_route, APIRoute)
    }
    for item in doc["paths"].values():
        for operation in item.values():
            route = routes.get(operation.get("operationId", ""))
            if route is None:
                continue
            real = route_error_statuses(route)
            declared = {
                int(s): v
                for s, v in route.responses.items()
                if str(s).isdigit() and int(s) >= 400 and id(v) not in _SHARED
            }
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for key in [k for k in responses if k.isdigit() and int(k) >= 400]:
                if int(key) not in real and int(key) not in declared:
                    del responses[key]
            for code in sorted(set(declared)):
                if code < 500:  # every 4xx is the one error shape, whatever was declared
                    responses[str(code)]["content"] = _error_content()
            for code in sorted(real - set(declared)):
                answer = responses.setdefault(
                    str(code), {"description": ERROR_DESCRIPTIONS.get(code, "error")}
                )
                answer["content"] = _error_content()
    doc.setdefault("components", {}).setdefault("schemas", {})["ErrorResponse"] = (
        ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    )


def _custom_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                terms_of_service=app.terms_of_service,
                contact=app.contact,
                license_info=app.license_info,
                routes=app.routes,
                webhooks=app.webhooks.routes,
                tags=app.openapi_tags,
                servers=app.servers,
                separate_input_output_schemas=app.separate_input_output_schemas,
                external_docs=app.openapi_external_docs,
            )
            _document_errors(app, doc)
            _drop_unreferenced(doc)
            document_properties(doc.get("components", {}).get("schemas", {}))
            document_parameters(doc["paths"])
            app.openapi_schema = doc
        return app.openapi_schema

    return openapi


# ------------------------------------------------------------------ the answers


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(error_body(exc.detail(), exc.error_code()), status_code=exc.status_code)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        error_body(exc.detail, code_for_status(exc.status_code)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    # The same 422 FastAPI gives, but never echoing the input back (it may hold an ID number).
    # A custom validator's message may quote the value, and a dict key in "loc" is input too.
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = [
        {
            "loc": [mask_pii(p) if isinstance(p, str) else p for p in e.get("loc", ())],
            "msg": mask_pii(str(e.get("msg", ""))),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    return JSONResponse(error_body(errors, code_for_status(422)), status_code=422)


def install_api_contract(app: FastAPI, *, service: str) -> None:
    """Operation ids, the one error shape (answers and document) and documented fields.

    Call before the service's routers are included: their routes take their operation ids
    from the app's router when they are added.
    """
    app.router.generate_unique_id_function = operation_id_for(service)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.openapi = _custom_openapi(app)  # type: ignore[method-assign]
