"""The satisfaction alerts: CSAT drops, abandonment, service level, complaint spikes."""

from __future__ import annotations

from streams.monitoring.alerts.alert import Alert, pct
from streams.monitoring.config import LIVE_CHANNELS, MonitoringConfig


def alerts(config: MonitoringConfig) -> list[Alert]:
    t = config.thresholds
    live = "|".join(LIVE_CHANNELS)
    sl_channels = "|".join(LIVE_CHANNELS)
    return [
        Alert(
            "ServicePulseCSATDrop",
            "satisfaction",
            f"""\
(
    team:servicepulse_csat:ratio_rate1d < team:servicepulse_csat:ratio_rate7d - {t.csat_drop:.2f}
  or
    team:servicepulse_csat:ratio_rate1d < {t.csat_min:.2f}
)
and on (team)
team_kind:servicepulse_survey_responses:increase1d{{kind="csat"}} >= {t.csat_min_answers}""",
            "warning",
            "CSAT of team {{ $labels.team }} dropped",
            f"""\
CSAT of team {{{{ $labels.team }}}} over the last day is {{{{ $value | humanizePercentage }}}}
(thresholds: {t.csat_drop * 100:g} points below its 7-day CSAT, or below {pct(t.csat_min)}; at least {t.csat_min_answers} answers in the day).""",
            f"1d CSAT < 7d CSAT - {t.csat_drop:.2f}, or 1d CSAT < {t.csat_min:.2f}; >= {t.csat_min_answers} answers/1d",
            for_=t.csat_for,
        ),
        Alert(
            "ServicePulseAbandonmentRateHigh",
            "satisfaction",
            f"""\
team:servicepulse_abandonment:ratio_rate1h > {t.abandonment_max:.2f}
and on (team)
sum by (team) (increase(servicepulse_tickets_created_total{{channel=~"{live}"}}[1h])) >= {t.abandonment_min_contacts}""",
            "warning",
            "Customers of team {{ $labels.team }} hang up before an answer",
            f"""\
{{{{ $value | humanizePercentage }}}} of the phone and chat contacts of team {{{{ $labels.team }}}}
were abandoned in the last hour (threshold: {pct(t.abandonment_max)}, with at least {t.abandonment_min_contacts} contacts in the hour;
short abandons left out).""",
            f"1h abandonment (phone+chat, short abandons left out) > {t.abandonment_max:.2f} "
            f"with >= {t.abandonment_min_contacts} contacts in 1h",
            for_=t.abandonment_for,
        ),
        Alert(
            "ServicePulseServiceLevelLow",
            "satisfaction",
            f"""\
team_channel:servicepulse_service_level:ratio_rate1h{{channel=~"{sl_channels}"}} < {t.service_level_min:.2f}
and on (team, channel)
team_channel:servicepulse_first_responses:increase1h >= {t.service_level_min_contacts}""",
            "warning",
            "Team {{ $labels.team }} answers too few {{ $labels.channel }} contacts in time",
            f"""\
{{{{ $value | humanizePercentage }}}} of the {{{{ $labels.channel }}}} contacts of team {{{{ $labels.team }}}}
were answered within the service-level threshold in the last hour (threshold: {pct(t.service_level_min)},
with at least {t.service_level_min_contacts} answered in the hour).""",
            f"1h service level (phone, chat) < {t.service_level_min:.2f} "
            f"with >= {t.service_level_min_contacts} answered in 1h",
            for_=t.service_level_for,
        ),
        Alert(
            "ServicePulseComplaintSpike",
            "satisfaction",
            f"""\
(team:servicepulse_complaints:increase1h >= {t.complaint_count})
and
(team:servicepulse_complaints:increase1h > {t.complaint_factor:g} * team:servicepulse_complaints:increase7d / 168)""",
            "warning",
            "Complaint volume spike for team {{ $labels.team }}",
            f"""\
{{{{ $value | printf "%.0f" }}}} complaints reached team {{{{ $labels.team }}}} in the last hour
(thresholds: at least {t.complaint_count}, and more than {t.complaint_factor:g} times the hourly average of the last 7 days).""",
            f">= {t.complaint_count} complaints in 1h AND > {t.complaint_factor:g}x the hourly average of 7d",
            for_=t.complaint_for,
        ),
    ]
