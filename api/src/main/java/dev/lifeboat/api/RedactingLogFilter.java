package dev.lifeboat.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import dev.lifeboat.activities.action.Redactor;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.helpers.MessageFormatter;

/**
 * Masks configured secrets in every application log line, whichever logger and level (a library at
 * TRACE included): a log call whose text or error mentions a secret is replaced by the same event
 * with the secret masked. A turbo filter sees each call before any appender or layout, so the
 * masking holds for every appender Dropwizard's logging configuration sets up.
 */
final class RedactingLogFilter extends TurboFilter {
  private static final String FQCN = Logger.class.getName();

  /**
   * Adds the filter to the logging context once (Dropwizard configures logging before the app
   * runs).
   */
  static void install() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    if (context.getTurboFilterList().stream().noneMatch(f -> f instanceof RedactingLogFilter)) {
      RedactingLogFilter filter = new RedactingLogFilter();
      filter.setName("redact-secrets");
      filter.setContext(context);
      filter.start();
      context.addTurboFilter(filter);
    }
  }

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (level == null
        || format == null && t == null
        || !level.isGreaterOrEqual(logger.getEffectiveLevel())) {
      return FilterReply.NEUTRAL;
    }
    Throwable error = t;
    Object[] args = params;
    if (error == null
        && args != null
        && args.length > 0
        && args[args.length - 1] instanceof Throwable last) {
      error = last; // SLF4J's convention: a trailing throwable is the error, not a format argument
    }
    String message =
        args == null || args.length == 0
            ? format
            : MessageFormatter.arrayFormat(format, args).getMessage();
    Throwable masked = error == null ? null : Redactor.redact(error);
    if (!Redactor.containsSecret(message) && masked == error) {
      return FilterReply.NEUTRAL;
    }
    LoggingEvent event =
        new LoggingEvent(FQCN, logger, level, Redactor.redact(message), masked, null);
    if (marker != null) {
      event.addMarker(marker);
    }
    logger.callAppenders(event);
    return FilterReply.DENY;
  }
}
