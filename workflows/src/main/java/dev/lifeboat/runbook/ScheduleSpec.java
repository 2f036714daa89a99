package dev.lifeboat.runbook;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a runbook's {@code schedules:}: when the runbook runs by itself and with which
 * parameters. Checked on load (cron, time zone, jitter, parameters); Temporal's Schedules API
 * evaluates it.
 *
 * @param name unique across the catalogue; the Temporal schedule id is {@code lifeboat-<name>}
 * @param cron five fields, or {@code @hourly}, {@code @daily}, {@code @weekly}, {@code @monthly},
 *     {@code @yearly}
 * @param timezone an IANA zone name such as {@code Europe/Berlin}; {@code UTC} when not given
 * @param jitter each fire lands at a random offset within it; null for none
 * @param params the run's parameters as written in the YAML (bound against the runbook when a run
 *     starts)
 */
public record ScheduleSpec(
    String name, String cron, String timezone, Duration jitter, Map<String, Object> params) {
  public ScheduleSpec {
    timezone = timezone == null || timezone.isBlank() ? "UTC" : timezone;
    params = params == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(params));
  }
}
