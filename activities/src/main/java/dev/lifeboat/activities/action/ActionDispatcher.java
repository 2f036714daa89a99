package dev.lifeboat.activities.action;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.lifeboat.workflows.ActionFailureTypes;
import dev.lifeboat.workflows.LiveProgress;
import dev.lifeboat.workflows.StepCall;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.DynamicActivity;
import io.temporal.common.converter.EncodedValues;
import io.temporal.failure.ApplicationFailure;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one activity implementation: Temporal calls it with the activity type set to the action name,
 * it converts the arguments to the action's record and runs the action.
 */
public final class ActionDispatcher implements DynamicActivity {
  private static final Logger LOG = LoggerFactory.getLogger(ActionDispatcher.class);
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new Jdk8Module())
          .addModule(new JavaTimeModule())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final ActionRegistry registry;

  public ActionDispatcher(ActionRegistry registry) {
    this.registry = registry;
  }

  @Override
  public Object execute(EncodedValues encoded) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    String name = ctx.getInfo().getActivityType();
    Action<?> action =
        registry
            .find(name)
            .orElseThrow(
                () ->
                    ApplicationFailure.newNonRetryableFailure(
                        "this worker has no action '" + name + "'",
                        ActionFailureTypes.INVALID_ARGUMENT));
    @SuppressWarnings("unchecked")
    Map<String, Object> args = encoded.get(0, Map.class);
    StepCall call = encoded.get(1, StepCall.class);
    try (TemporalActionContext context = new TemporalActionContext(ctx, call)) {
      try {
        Map<String, Object> out =
            new LinkedHashMap<>(run(action, args == null ? Map.of() : args, context));
        // the run keeps the step's final counters, message and log tail (the live ones were
        // heartbeats only)
        LiveProgress last = context.snapshot();
        Map<String, Object> live = new LinkedHashMap<>();
        live.put("message", last.message());
        if (context.warning() != null) {
          live.put("warning", context.warning());
        }
        live.put("log", last.log());
        live.put("bytesDone", last.bytesDone());
        live.put("bytesTotal", last.bytesTotal());
        live.put("filesDone", last.filesDone());
        // which try succeeded: a retry after a dead worker sent no signal the run could count
        live.put("attempt", context.attempt());
        out.put(LiveProgress.OUTPUT_KEY, live);
        return out;
      } catch (ApplicationFailure f) {
        // Temporal keeps only the last failure of a retried activity; the run keeps each one
        if (!"Canceled".equals(f.getType())) {
          context.attemptFailed(f.getOriginalMessage());
        }
        throw f;
      }
    }
  }

  /**
   * Runs an action outside Temporal too (tests, CLI), with failures mapped to Temporal failures.
   */
  public static Map<String, Object> run(
      Action<?> action, Map<String, Object> args, ActionContext context) {
    try {
      return invoke(action, args, context);
    } catch (CancellationException e) {
      throw canceled();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw canceled();
    } catch (Exception e) {
      // a cancel interrupts the action's thread: whatever that breaks (a wait, a channel) is the
      // cancel, not a failure to retry
      if (isCancelled(context)) {
        throw canceled();
      }
      ActionException permanent = permanent(action, e);
      if (permanent != null) {
        throw ApplicationFailure.newNonRetryableFailure(
            Redactor.redact(permanent.getMessage()), permanent.type());
      }
      LOG.warn(
          "action {} failed (step {}), will be retried if attempts remain",
          action.name(),
          context.stepKey(),
          e);
      throw ApplicationFailure.newFailureWithCause(
          Redactor.redact(describe(e)), e.getClass().getSimpleName(), Redactor.redact(e));
    }
  }

  /**
   * The failure as one no retry can mend, null when another attempt may succeed: an action's own, a
   * permission a human must change, a name no file can have.
   */
  private static ActionException permanent(Action<?> action, Exception e) {
    if (e instanceof ActionException a) {
      return a;
    }
    if (e instanceof java.nio.file.AccessDeniedException denied) {
      return ActionException.check(
          "action '"
              + action.name()
              + "': permission denied: "
              + denied.getFile()
              + (denied.getOtherFile() == null ? "" : " (" + denied.getOtherFile() + ")")
              + " (Lifeboat runs as user "
              + System.getProperty("user.name")
              + ")");
    }
    if (e instanceof java.nio.file.InvalidPathException p) {
      return ActionException.invalid(
          "action '"
              + action.name()
              + "': '"
              + p.getInput()
              + "' is not a path this system can name ("
              + p.getReason()
              + ")");
    }
    return null;
  }

  private static ApplicationFailure canceled() {
    return ApplicationFailure.newNonRetryableFailure("canceled", "Canceled");
  }

  private static boolean isCancelled(ActionContext context) {
    try {
      context.throwIfCancelled();
      return false;
    } catch (CancellationException e) {
      return true;
    }
  }

  /** Converts the arguments and runs the action, letting its exceptions through. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static Map<String, Object> invoke(
      Action<?> action, Map<String, Object> args, ActionContext context) throws Exception {
    Record typed = convert(action, args);
    Object out = ((Action) action).run(typed, context);
    if (out == null) {
      return Map.of();
    }
    return MAPPER.convertValue(out, Map.class);
  }

  static Record convert(Action<?> action, Map<String, Object> args) {
    try {
      return MAPPER.convertValue(args, action.argumentsType());
    } catch (IllegalArgumentException e) {
      String detail =
          e.getCause() != null && e.getCause().getMessage() != null
              ? e.getCause().getMessage()
              : e.getMessage();
      int cut = detail.indexOf(" (through reference chain");
      if (cut > 0) {
        detail = detail.substring(0, cut);
      }
      throw ActionException.invalid("action '" + action.name() + "': bad arguments: " + detail);
    }
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
