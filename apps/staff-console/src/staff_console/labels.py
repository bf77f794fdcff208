"""Chinese labels for the services' field names and values, as the seeds name them."""

from __future__ import annotations

from collections.abc import Mapping

LABELS: Mapping[str, str] = {
    "customer_id": "客户号",
    "name": "姓名",
    "phone": "手机号",
    "id_number": "身份证号",
    "status": "状态",
    "life_stage": "人生阶段",
    "value_segment": "价值细分",
    "total_assets": "总资产",
    "contribution": "贡献（佣金）",
    "turnover": "周转率",
    "tier": "级别",
    "points_balance": "积分余额",
    "multiplier": "积分倍数",
    "points": "积分",
    "kind": "类型",
    "reason": "原因",
    "created_at": "时间",
    "occurred_at": "时间",
    "channel": "渠道",
    "topic": "主题",
    "outcome": "结果",
    "next_step": "下一步",
    "staff_id": "员工",
    "template_code": "模板",
    "category": "类别",
    "state": "状态",
    "case_id": "案件号",
    "complaint_id": "投诉号",
    "group_id": "服务小组",
    "rank": "排名",
    "score": "得分",
    "mark": "奖惩",
    "deadline": "期限",
    "due_at": "到期",
    "minutes_left": "剩余交易分钟",
    "overdue": "超期",
    "owner": "负责人",
    "members": "成员",
    "month": "月份",
    "product_id": "产品",
    "price": "价格",
    "risk_level": "风险等级",
    "title": "标题",
    "content_id": "编号",
    "published_at": "发布时间",
    "message_id": "消息号",
    "accepted_at": "受理时间",
    "finished_at": "完成时间",
    "address": "地址",
}

VALUE_NAMES: Mapping[str, str] = {
    # tiers (客户分级)
    "standard": "普通",
    "silver": "银卡",
    "gold": "金卡",
    "platinum": "白金卡",
    # customer status
    "active": "正常",
    "transfer_requested": "申请转出",
    "transferred_out": "已转出",
    "dormant": "休眠",
    # life stages (人生阶段)
    "growth": "成长期",
    "youth": "青年期",
    "adult": "成年期",
    "mature": "成熟期",
    "stable": "稳定期",
    "retirement": "退休期",
    # CRM channels
    "call": "电话",
    "visit": "面访",
    "sms": "短信",
    "im": "即时通讯",
    "email": "邮件",
    "seminar": "讲座",
    # risk profile
    "valid": "有效",
    "expired": "已过期",
    "missing": "未评估",
    # points ledger (tiering-svc)
    "trade": "交易积分",
    "adjustment": "人工调整",
    "anniversary": "开户周年",
    "redemption": "兑换",
    "referral": "推荐奖励",
    "reversal": "冲正",
    # message delivery (notify-svc)
    "pending": "待发送",
    "suppressed": "未发送（免打扰/退订）",
    "scheduled": "已排期",
    "submitting": "发送中",
    "accepted": "网关已受理",
    "delivered": "已送达",
    "undelivered": "未送达",
    "failed": "发送失败",
    "unknown": "状态未知",
    "reconciled": "已核对",
    # complaints (domain.md §7)
    "system_failure": "系统故障",
    "business_error": "业务差错",
    "data_leak": "客户资料泄露",
    "cancellation_late": "撤销指定未及时办理",
    "staff_attitude": "服务态度",
    "other": "其他",
    # retention (domain.md §6)
    "retained": "已挽留",
    "partially_retained": "部分挽留",
    "left": "已流失",
    "analyst_hotline": "分析师热线",
    "rate_review": "佣金优惠",
    "keep_account_open_second": "保留账户另开户",
    "service_team": "服务小组跟进",
    "none": "无",
}

SIZE_NAMES = {"large": "大型", "medium": "中型", "small": "小型"}
TURNOVER_NAMES = {"short_term": "短线", "stable": "稳定", "static": "静止"}


def value_segment_name(segment: str) -> str:
    """``short_term_large`` → 短线大型 (seed 002's names: turnover, then size)."""
    for key, turnover in TURNOVER_NAMES.items():
        if segment.startswith(key + "_"):
            size = SIZE_NAMES.get(segment.removeprefix(key + "_"))
            if size:
                return turnover + size
    return VALUE_NAMES.get(segment, segment)


VALUE_SEGMENTS: tuple[str, ...] = tuple(
    f"{turnover}_{size}" for size in SIZE_NAMES for turnover in TURNOVER_NAMES
)
LIFE_STAGES: tuple[str, ...] = ("growth", "youth", "adult", "mature", "stable", "retirement")
