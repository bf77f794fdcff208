"""The templates every deployment starts with (version 1) and the words they use.

Staff publish later versions through ``POST /v1/templates``; these rows are only inserted
when (code, channel) has no version yet. SMS texts mirror the templates registered with the
provider under ``provider_template_code`` (the provider renders its own copy; ours is the
record and the body for IM and e-mail).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import Category, Channel


@dataclass(frozen=True)
class DefaultTemplate:
    code: str
    channel: Channel
    category: Category
    text: str
    provider_template_code: str | None = None
    subject: str | None = None


S, IM, EMAIL = Channel.SMS, Channel.IM, Channel.EMAIL
SERVICE, MARKETING, ADVISORY, STAFF = (
    Category.SERVICE,
    Category.MARKETING,
    Category.ADVISORY,
    Category.STAFF_ALERT,
)

DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        "TIER_UP",
        S,
        SERVICE,
        "尊敬的{name}，恭喜您升级为{tier}客户，即日起享有{benefits}。",
        "SMS_TIER_UP",
    ),
    DefaultTemplate(
        "TIER_UP",
        EMAIL,
        SERVICE,
        "尊敬的{name}：\n\n恭喜您升级为{tier}客户，即日起享有{benefits}。\n\n您的服务小组",
        subject="恭喜您升级为{tier}客户",
    ),
    DefaultTemplate(
        "TIER_DOWN",
        S,
        SERVICE,
        "尊敬的{name}，根据定期评级，您的客户等级已调整为{tier}。如有疑问请联系您的服务小组。",
        "SMS_TIER_DOWN",
    ),
    DefaultTemplate(
        "TIER_REVIEW_NOTICE",
        S,
        SERVICE,
        "尊敬的{name}，您的{tier}客户资格将于{review_on}复核，资产不低于{keep_assets}元"
        "或近12个月佣金不低于{keep_commission}元即可保级。",
        "SMS_TIER_REVIEW",
    ),
    DefaultTemplate(
        "TRANSFER_ALERT",
        IM,
        STAFF,
        "【转托管/撤销指定提醒】营业部{branch_id}客户{customer_id}（{name}）于{requested_at}"
        "申请{kind}（{market}），原因：{reason}。负责：{owner}，请立即联系客户。",
    ),
    # ops-assessment-svc, when a complaint of category data_leak is filed (ADR 0011): to the
    # compliance route only, never to the customer; no customer detail in the text.
    DefaultTemplate(
        "COMPLAINT_DATA_LEAK_ALERT",
        IM,
        STAFF,
        "【数据泄露投诉告警】营业部{branch_id}于{received_on}受理一宗涉及客户信息泄露的投诉"
        "（编号{complaint_id}），请合规部门立即介入。",
    ),
    DefaultTemplate(
        "CIRCUIT_ALERT",
        IM,
        STAFF,
        "【运维告警】短信网关{gateway}已熔断：{code}。{cooldown_s}秒后试探恢复，请检查账户与签名配置。",
    ),
    DefaultTemplate(
        "BIRTHDAY", S, MARKETING, "祝您生日快乐，身体健康，投资顺利！回T退订", "SMS_BIRTHDAY"
    ),
    DefaultTemplate(
        "HOLIDAY",
        S,
        MARKETING,
        "{holiday}快乐！感谢您一直以来的信任与支持，祝您阖家幸福。回T退订",
        "SMS_HOLIDAY",
    ),
    DefaultTemplate(
        "SEMINAR_INVITE",
        S,
        MARKETING,
        "诚邀您参加{date}的投资策略会，地点：{place}。回T退订",
        "SMS_SEMINAR",
    ),
    DefaultTemplate(
        "RISK_NOTICE", S, SERVICE, "风险提示：{security_name}（{security_code}）{text}", "SMS_RISK"
    ),
    DefaultTemplate(
        "ADVISORY_DIGEST",
        S,
        ADVISORY,
        "今日策略：{summary}。投资有风险，入市需谨慎",
        "SMS_ADVISORY",
    ),
    # advisory-svc's content (ContentPublished): the piece's own title and body. Advice gets
    # the risk disclosure (category advisory); other content is a mass message (marketing).
    DefaultTemplate("ADVISORY_CONTENT", S, ADVISORY, "【{title}】{body}", "SMS_ADVISORY_CONTENT"),
    DefaultTemplate("ADVISORY_CONTENT", EMAIL, ADVISORY, "{body}", subject="{title}"),
    DefaultTemplate("CONTENT_NOTICE", S, MARKETING, "【{title}】{body}", "SMS_CONTENT_NOTICE"),
    # advisory-svc, 5 trading days before a bundle ends after a tier drop (ADR 0010).
    DefaultTemplate(
        "BUNDLE_ENDING",
        S,
        SERVICE,
        "您订阅的{product}产品将于{ends_on}到期，因客户等级调整不再续订。",
        "SMS_BUNDLE_ENDING",
    ),
    DefaultTemplate(
        "IPO_SUBSCRIPTION",
        S,
        SERVICE,
        "新股申购提醒：{security_name}（{security_code}）今日开放申购。",
        "SMS_IPO_SUB",
    ),
    DefaultTemplate(
        "IPO_ALLOTMENT",
        S,
        SERVICE,
        "中签缴款提醒：{security_name}（{security_code}）今日公布中签结果，"
        "如中签请确保账户资金足额，未缴款视为放弃。",
        "SMS_IPO_ALLOT",
    ),
    DefaultTemplate(
        "IPO_LISTING",
        S,
        SERVICE,
        "新股上市提醒：{security_name}（{security_code}）今日上市交易。",
        "SMS_IPO_LIST",
    ),
    DefaultTemplate(
        "WARRANT_EXERCISE",
        S,
        SERVICE,
        "行权提醒：{security_name}（{security_code}）最后行权日为{last_exercise_on}，"
        "逾期未行权将作废，请及时处理。",
        "SMS_WARRANT",
    ),
)

TIER_NAMES = {"standard": "普通", "silver": "银卡", "gold": "金卡", "platinum": "白金卡"}
TIER_RANK = {"standard": 0, "silver": 1, "gold": 2, "platinum": 3}
TIER_BENEFITS = {
    "standard": "基础服务",
    "silver": "呼叫中心优先服务",
    "gold": "专属服务专线及服务小组一对一服务",
    "platinum": "优先专属专线及服务小组与投资顾问双重一对一服务",
}
TRANSFER_KINDS = {"custody_transfer": "转托管", "designation_cancel": "撤销指定交易"}
