"""Administrative regions (行政区划) keyed by their GB/T 2260 code."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省级"
    PREFECTURE = "prefecture", "市级"
    COUNTY = "county", "县级"
    TOWN = "town", "乡镇级"
    VILLAGE = "village", "村级"


def region_level_for_code(code: str) -> RegionLevel:
    """The level a code denotes: trailing zero groups mean 'the level itself' (GB/T 2260)."""
    if not code.isdigit() or len(code) not in (6, 12):
        raise ValidationError("行政区划代码应为6位或12位数字")
    if len(code) == 12:
        if code[6:] == "000000":
            return region_level_for_code(code[:6])
        return RegionLevel.TOWN if code[9:] == "000" else RegionLevel.VILLAGE
    if code[2:] == "0000":
        return RegionLevel.PROVINCE
    if code[4:] == "00":
        return RegionLevel.PREFECTURE
    return RegionLevel.COUNTY


def expected_parent_code(code: str) -> str | None:
    """The code of the region that must contain `code`, derived from the code itself."""
    level = region_level_for_code(code)
    if level == RegionLevel.PROVINCE:
        return None
    if level == RegionLevel.PREFECTURE:
        return code[:2] + "0000"
    if level == RegionLevel.COUNTY:
        return code[:4] + "00"
    if level == RegionLevel.TOWN:
        return code[:6]
    return code[:9] + "000"


class Region(models.Model):
    code = models.CharField("行政区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("级别", max_length=16, choices=RegionLevel.choices, editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级区划",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args: object, **kwargs: object) -> None:
        self.level = region_level_for_code(self.code)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        self.level = region_level_for_code(self.code)
        expected = expected_parent_code(self.code)
        # Direct-administered counties (e.g. 省直辖县级行政单位 4290xx) hang under the province,
        # so a county may sit under its prefecture or, failing that, under the province.
        allowed = {expected}
        if self.level == RegionLevel.COUNTY:
            allowed.add(self.code[:2] + "0000")
        if (self.parent_id or None) not in allowed:
            raise ValidationError({"parent": f"上级区划应为 {expected}"})

    def code_prefix(self) -> str:
        """The digits every descendant's code starts with (used for scope checks)."""
        significant = {
            RegionLevel.PROVINCE: 2,
            RegionLevel.PREFECTURE: 4,
            RegionLevel.COUNTY: 6,
            RegionLevel.TOWN: 9,
            RegionLevel.VILLAGE: 12,
        }
        return self.code[: significant[RegionLevel(self.level)]]

    def contains(self, other_code: str) -> bool:
        return other_code.startswith(self.code_prefix())
