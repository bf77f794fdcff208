"""API shapes of the SMS provider's callbacks: delivery reports and the answer it waits for."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class DeliveryReportIn(BaseModel):
    """One delivery report (回执) as the provider posts it (spec sms-gateway.md)."""

    model_config = ConfigDict(extra="ignore")

    phone_number: Annotated[str, Field(max_length=32)]
    send_time: Annotated[str, Field(max_length=32)] | None = None
    report_time: Annotated[str, Field(max_length=32)] | None = None
    success: bool
    err_code: Annotated[str, Field(max_length=64)] | None = None
    err_msg: Annotated[str, Field(max_length=200)] | None = None
    sms_size: Annotated[str, Field(max_length=8)] | None = None
    biz_id: Annotated[str, Field(max_length=64)] | None = None
    out_id: Annotated[str, Field(min_length=1, max_length=255)]


class ProviderAck(BaseModel):
    """The answer the provider waits for: anything else within ~700 ms makes it post again."""

    code: int = 0


class AliyunAck(BaseModel):
    """Aliyun's push waits for HTTP 200 with a numeric ``code``; anything else is pushed again."""

    code: int = 0
    msg: str = "接收成功"
