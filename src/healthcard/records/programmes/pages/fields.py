"""The fields of each programme's follow-up form as the console shows them (labels in Chinese,
choices); the form's meaning and validation live in schemas.FORMS and the rule files."""

from __future__ import annotations

from dataclasses import dataclass

from healthcard.core.i18n import N_


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "number"  # number | decimal | date | select | check | text | symptoms
    options: tuple[tuple[str, str], ...] = ()
    unit: str = ""


LEVEL = (("good", N_("良好")), ("fair", N_("一般")), ("poor", N_("差")))
ADHERENCE = (("regular", N_("规律")), ("intermittent", N_("间断")), ("none", N_("不服药")))
METHOD = (("clinic", N_("门诊")), ("home", N_("家庭")), ("phone", N_("电话")))

_VISIT = (
    Field("done_on", N_("随访日期"), "date"),
    Field("method", N_("随访方式"), "select", METHOD),
)
_BP = (
    Field("sbp", N_("收缩压"), unit="mmHg"),
    Field("dbp", N_("舒张压"), unit="mmHg"),
)
_LIFESTYLE = (
    Field("smoking_per_day", N_("日吸烟量"), unit=N_("支")),
    Field("drinking_per_day", N_("日饮酒量"), "decimal", unit=N_("两")),
    Field("exercise_per_week", N_("运动（次/周）")),
    Field("exercise_minutes", N_("运动（分钟/次）")),
)
_CHRONIC = (
    *_BP,
    Field("heart_rate", N_("心率"), unit=N_("次/分")),
    Field("weight_kg", N_("体重"), "decimal", unit="kg"),
    Field("symptoms", N_("症状"), "symptoms"),
    *_LIFESTYLE,
    Field(
        "salt_intake",
        N_("摄盐情况"),
        "select",
        (("light", N_("轻")), ("moderate", N_("中")), ("heavy", N_("重"))),
    ),
    Field("psychological", N_("心理调整"), "select", LEVEL),
    Field("compliance", N_("遵医行为"), "select", LEVEL),
    Field("medication_adherence", N_("服药依从性"), "select", ADHERENCE),
    Field("adverse_reaction", N_("药物不良反应"), "check"),
    Field("new_complication", N_("新发并发症或原有并发症加重"), "check"),
)
_GLUCOSE = (
    Field("fasting_glucose", N_("空腹血糖"), "decimal", unit="mmol/L"),
    Field("hba1c", N_("糖化血红蛋白"), "decimal", unit="%"),
    Field(
        "foot_pulse",
        N_("足背动脉搏动"),
        "select",
        (("normal", N_("触及正常")), ("weakened", N_("减弱")), ("absent", N_("消失"))),
    ),
    Field("staple_food_g", N_("主食（克/天）")),
    Field(
        "hypoglycaemia",
        N_("低血糖反应"),
        "select",
        (("none", N_("无")), ("occasional", N_("偶尔")), ("frequent", N_("频繁"))),
    ),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "hypertension": (*_VISIT, *_CHRONIC),
    "diabetes": (*_VISIT, *_CHRONIC[:2], *_GLUCOSE, *_CHRONIC[2:]),
    "children": (
        *_VISIT,
        Field("weight_kg", N_("体重"), "decimal", unit="kg"),
        Field("height_cm", N_("身长（高）"), "decimal", unit="cm"),
        Field("head_circumference_cm", N_("头围"), "decimal", unit="cm"),
        Field("hemoglobin", N_("血红蛋白"), unit="g/L"),
        Field(
            "feeding",
            N_("喂养方式"),
            "select",
            (
                ("breast", N_("纯母乳")),
                ("mixed", N_("混合")),
                ("formula", N_("人工")),
                ("normal_diet", N_("普通饮食")),
            ),
        ),
        Field("development_ok", N_("发育评估通过"), "check"),
        Field("guidance", N_("指导"), "text"),
    ),
    "maternal": (
        *_VISIT,
        Field("gestational_weeks", N_("孕周")),
        Field("weight_kg", N_("体重"), "decimal", unit="kg"),
        *_BP,
        Field("hemoglobin", N_("血红蛋白"), unit="g/L"),
        Field(
            "urine_protein",
            N_("尿蛋白"),
            "select",
            (("-", "-"), ("+-", "±"), ("+", "+"), ("++", "++"), ("+++", "+++")),
        ),
        Field("fundal_height_cm", N_("宫底高度"), "decimal", unit="cm"),
        Field("fetal_heart_rate", N_("胎心率"), unit=N_("次/分")),
        Field("delivered_on", N_("分娩日期（已分娩时填写）"), "date"),
        Field("guidance", N_("指导"), "text"),
    ),
    "elderly": (
        *_VISIT,
        *_BP,
        Field("weight_kg", N_("体重"), "decimal", unit="kg"),
        Field("height_cm", N_("身高"), "decimal", unit="cm"),
        Field("waist_cm", N_("腰围"), "decimal", unit="cm"),
        Field("fasting_glucose", N_("空腹血糖"), "decimal", unit="mmol/L"),
        Field("self_care_score", N_("生活自理能力评分（0～37）")),
        Field("cognition_positive", N_("认知功能粗筛阳性"), "check"),
        Field("depression_positive", N_("情感状态粗筛阳性"), "check"),
        *_LIFESTYLE,
    ),
    "mental": (
        *_VISIT,
        Field(
            "risk_level",
            N_("危险性评估（0～5级）"),
            "select",
            tuple((str(i), f"{i}") for i in range(6)),
        ),
        Field(
            "insight",
            N_("自知力"),
            "select",
            (("complete", N_("完全")), ("partial", N_("不全")), ("none", N_("缺失"))),
        ),
        Field("symptoms", N_("目前症状"), "symptoms"),
        Field("sleep", N_("睡眠情况"), "select", LEVEL),
        Field("medication_adherence", N_("服药依从性"), "select", ADHERENCE),
        Field("social_function_poor", N_("社会功能较差"), "check"),
        Field("adverse_reaction", N_("药物不良反应"), "check"),
        Field("adverse_reaction_severe", N_("严重药物不良反应"), "check"),
        Field("serious_physical_illness", N_("严重躯体疾病"), "check"),
        Field("locked_up", N_("关锁情况"), "check"),
    ),
    "tuberculosis": (
        *_VISIT,
        Field(
            "supervisor",
            N_("督导人员"),
            "select",
            (
                ("doctor", N_("医生")),
                ("family", N_("家属")),
                ("volunteer", N_("志愿者")),
                ("self", N_("自服药")),
            ),
        ),
        Field("missed_doses", N_("漏服药次数")),
        Field("symptoms", N_("症状及体征"), "symptoms"),
        Field("adverse_reaction", N_("药物不良反应"), "check"),
        Field("adverse_reaction_severe", N_("严重药物不良反应"), "check"),
        Field(
            "sputum_result",
            N_("痰检结果"),
            "select",
            (("negative", N_("阴性")), ("positive", N_("阳性")), ("not_done", N_("未查"))),
        ),
    ),
}
_NOTE = Field("note", N_("备注"), "text")

CHECKBOXES = {f.name for fields in FIELDS.values() for f in fields if f.kind == "check"}


def fields_of(programme: str) -> tuple[Field, ...]:
    """The form fields of a programme, a note last."""
    return (*FIELDS[programme], _NOTE)
