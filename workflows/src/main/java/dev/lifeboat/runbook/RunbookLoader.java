package dev.lifeboat.runbook;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads runbook YAML and validates it against the known actions. Works on the YAML node tree rather
 * than plain maps so that every error names the line it comes from.
 */
public final class RunbookLoader {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
  private static final Pattern ID = Pattern.compile("[A-Za-z][A-Za-z0-9_-]*");
  private static final Set<String> TOP_KEYS =
      Set.of(
          "name", "description", "params", "steps", "finally", "schedules", "schedule", "notify");
  private static final Set<String> SCHEDULE_KEYS =
      Set.of("name", "cron", "timezone", "jitter", "params");
  private static final Set<String> PARAM_KEYS =
      Set.of(
          "name",
          "type",
          "default",
          "required",
          "description",
          "under",
          "allowed",
          "min",
          "max",
          "pattern",
          "items");
  private static final Set<String> APPROVAL_KEYS = Set.of("message", "group");

  /**
   * A runbook file larger than this is refused unread: runbooks are short, and YAML parsing is not
   * free.
   */
  public static final long MAX_FILE_BYTES = 256 * 1024;

  private static final Set<String> STEP_KEYS =
      Set.of(
          "id",
          "action",
          "with",
          "retry",
          "timeout",
          "approval",
          "forEach",
          "when",
          "parallelism",
          "continueOnError",
          "finally",
          "description");
  private static final Set<String> RETRY_KEYS = Set.of("maxAttempts", "initialInterval", "backoff");

  private final Map<String, ActionSignature> actions;

  public RunbookLoader(Iterable<ActionSignature> actions) {
    this.actions = new LinkedHashMap<>();
    BuiltinActions.signatures().forEach(a -> this.actions.put(a.name(), a));
    actions.forEach(a -> this.actions.put(a.name(), a));
  }

  public Map<String, ActionSignature> actions() {
    return java.util.Collections.unmodifiableMap(actions);
  }

  /** Loads every {@code *.yaml}/{@code *.yml} file directly in {@code dir}, sorted by file name. */
  public List<LoadedRunbook> loadDirectory(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of(
          new LoadedRunbook.Invalid(
              dir.getFileName() == null ? dir.toString() : dir.getFileName().toString(),
              dir.toString(),
              0,
              "runbooks folder does not exist"));
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files =
          s.filter(p -> Files.isRegularFile(p))
              .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
              .sorted()
              .toList();
    } catch (IOException e) {
      return List.of(
          new LoadedRunbook.Invalid(
              dir.toString(), dir.toString(), 0, "cannot list: " + e.getMessage()));
    }
    List<LoadedRunbook> out = new ArrayList<>();
    Map<String, String> seen = new LinkedHashMap<>();
    // schedule names are ids in Temporal, shared by the whole catalogue
    Map<String, String> scheduleOwners = new LinkedHashMap<>();
    for (Path f : files) {
      Map<String, Integer> lines = new LinkedHashMap<>();
      LoadedRunbook r = load(f, lines);
      if (r instanceof LoadedRunbook.Valid v) {
        String first = seen.putIfAbsent(v.name(), v.file());
        if (first != null) {
          r =
              new LoadedRunbook.Invalid(
                  v.name(),
                  v.file(),
                  0,
                  first
                      + " already defines a runbook named '"
                      + v.name()
                      + "'; names must be unique");
        } else {
          for (ScheduleSpec s : v.definition().schedules()) {
            String owner = scheduleOwners.get(s.name());
            if (owner != null) {
              r =
                  new LoadedRunbook.Invalid(
                      v.name(),
                      v.file(),
                      lines.getOrDefault(s.name(), 0),
                      "schedule '"
                          + s.name()
                          + "' is already defined by "
                          + owner
                          + "; schedule names must be unique across runbooks");
              break;
            }
          }
          if (r instanceof LoadedRunbook.Valid) {
            v.definition().schedules().forEach(s -> scheduleOwners.put(s.name(), v.file()));
          }
        }
      }
      out.add(r);
    }
    return out;
  }

  public LoadedRunbook load(Path file) {
    return load(file, new LinkedHashMap<>());
  }

  private LoadedRunbook load(Path file, Map<String, Integer> scheduleLines) {
    String label = file.getFileName().toString();
    String fallbackName = label.replaceFirst("\\.ya?ml$", "");
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        return new LoadedRunbook.Invalid(
            fallbackName,
            label,
            0,
            "the file is "
                + size
                + " bytes; a runbook may be at most "
                + MAX_FILE_BYTES / 1024
                + " KiB");
      }
      return new LoadedRunbook.Valid(
          parse(Files.readString(file, StandardCharsets.UTF_8), label, scheduleLines));
    } catch (RunbookProblem p) {
      return new LoadedRunbook.Invalid(fallbackName, p.file(), p.line(), p.reason());
    } catch (IOException e) {
      return new LoadedRunbook.Invalid(fallbackName, label, 0, "cannot read: " + e.getMessage());
    }
  }

  /** Parses and validates one runbook text; {@code file} is the name used in errors. */
  public Runbook parse(String yaml, String file) {
    return parse(yaml, file, new LinkedHashMap<>());
  }

  private Runbook parse(String yaml, String file, Map<String, Integer> scheduleLines) {
    Node root;
    try (Reader r = new StringReader(yaml)) {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      root = new Yaml(options).compose(r);
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
      throw new RunbookProblem(file, line, "bad YAML: " + e.getProblem());
    } catch (YAMLException | IOException e) {
      throw new RunbookProblem(file, 0, "bad YAML: " + e.getMessage());
    }
    if (root == null) {
      throw new RunbookProblem(file, 0, "the file is empty");
    }
    Parser parser = new Parser(file);
    Runbook runbook = parser.runbook(root);
    scheduleLines.putAll(parser.scheduleLines);
    return runbook;
  }

  private final class Parser {
    private final String file;
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Set<String> stepIds = new HashSet<>();

    /** Schedule name to its line, for the catalogue-wide uniqueness check. */
    private final Map<String, Integer> scheduleLines = new LinkedHashMap<>();

    /** Every step id in the file, collected up front so a reference to a later step can say so. */
    private final Set<String> allIds = new HashSet<>();

    Parser(String file) {
      this.file = file;
    }

    Runbook runbook(Node root) {
      Map<String, NodeTuple> top = mapping(root, "the runbook", TOP_KEYS);
      String name = requiredString(top, root, "name", "the runbook");
      if (!NAME.matcher(name).matches()) {
        throw problem(
            top.get("name").getValueNode(),
            "runbook name '" + name + "' must be lower-case letters, digits and dashes");
      }
      String description = optionalString(top, "description");
      if (top.containsKey("params")) {
        for (Node p : sequence(top.get("params").getValueNode(), "params")) {
          Param param = param(p);
          if (params.put(param.name(), param) != null) {
            throw problem(p, "duplicate parameter '" + param.name() + "'");
          }
        }
      }
      if (!top.containsKey("steps")) {
        throw problem(root, "the runbook has no 'steps'");
      }
      List<Node> stepNodes = sequence(top.get("steps").getValueNode(), "steps");
      if (stepNodes.isEmpty()) {
        throw problem(top.get("steps").getValueNode(), "'steps' is empty");
      }
      collectIds(stepNodes);
      if (top.containsKey("finally")) {
        collectIds(sequence(top.get("finally").getValueNode(), "finally"));
      }
      List<Step> steps = new ArrayList<>();
      List<String> earlier = new ArrayList<>();
      for (Node s : stepNodes) {
        Step step = step(s, earlier, false, false);
        steps.add(step);
        earlier.add(step.id());
      }
      List<Step> fin = new ArrayList<>();
      if (top.containsKey("finally")) {
        for (Node s : sequence(top.get("finally").getValueNode(), "finally")) {
          Step step = step(s, earlier, true, false);
          fin.add(step);
          earlier.add(step.id());
        }
      }
      if (top.containsKey("schedule")) {
        throw problem(
            top.get("schedule").getKeyNode(),
            "'schedule' is replaced by 'schedules', a list of"
                + " {name, cron, timezone, jitter, params} that Lifeboat creates as Temporal schedules; see docs/runbooks.md");
      }
      Runbook unscheduled =
          new Runbook(
              name, description, List.copyOf(params.values()), steps, fin, List.of(), file, null);
      List<ScheduleSpec> schedules = new ArrayList<>();
      if (top.containsKey("schedules")) {
        for (Node s : sequence(top.get("schedules").getValueNode(), "schedules")) {
          ScheduleSpec spec = schedule(s, unscheduled);
          if (scheduleLines.putIfAbsent(spec.name(), s.getStartMark().getLine() + 1) != null) {
            throw problem(s, "duplicate schedule name '" + spec.name() + "'");
          }
          schedules.add(spec);
        }
      }
      return new Runbook(
          name,
          description,
          List.copyOf(params.values()),
          steps,
          fin,
          schedules,
          file,
          top.containsKey("notify") ? notify(top.get("notify").getValueNode()) : null);
    }

    private ScheduleSpec schedule(Node node, Runbook runbook) {
      Map<String, NodeTuple> m = mapping(node, "a schedule", SCHEDULE_KEYS);
      String name = requiredString(m, node, "name", "a schedule");
      if (!NAME.matcher(name).matches() || name.length() > 60) {
        throw problem(
            m.get("name").getValueNode(),
            "schedule name '"
                + name
                + "' must be lower-case letters, digits and dashes (at most 60)");
      }
      String cron = requiredString(m, node, "cron", "schedule '" + name + "'");
      try {
        CronText.check(cron);
      } catch (IllegalArgumentException e) {
        throw problem(m.get("cron").getValueNode(), "schedule '" + name + "': " + e.getMessage());
      }
      String zone = optionalString(m, "timezone");
      // Temporal reads IANA names (Go's time.LoadLocation); Java also takes offsets such as +02:00,
      // so ask for a name
      if (zone != null
          && !zone.equals("UTC")
          && !java.time.ZoneId.getAvailableZoneIds().contains(zone)) {
        throw problem(
            m.get("timezone").getValueNode(),
            "schedule '"
                + name
                + "': timezone '"
                + zone
                + "' is not a time zone name such as UTC or Europe/Berlin");
      }
      java.time.Duration jitter = null;
      if (m.containsKey("jitter")) {
        jitter = Durations.parse(duration(m.get("jitter").getValueNode()));
        if (jitter.isNegative()) {
          throw problem(
              m.get("jitter").getValueNode(),
              "schedule '" + name + "': jitter must not be negative");
        }
      }
      Map<String, Object> given = new LinkedHashMap<>();
      Map<String, NodeTuple> paramNodes =
          m.containsKey("params")
              ? mapping(m.get("params").getValueNode(), "'params' of schedule '" + name + "'", null)
              : Map.of();
      paramNodes.forEach((k, t) -> given.put(k, value(t.getValueNode())));
      // the run starts unattended: a parameter it cannot use must fail now, not at 2 a.m.
      try {
        ArgRules.checkParams(runbook, actions, ParamBinder.bind(runbook, given));
      } catch (ParamBinder.InvalidParam e) {
        NodeTuple bad = paramNodes.get(e.param());
        throw problem(
            bad == null ? node : bad.getValueNode(), "schedule '" + name + "': " + e.getMessage());
      }
      return new ScheduleSpec(name, cron.trim(), zone, jitter, given);
    }

    private Param param(Node node) {
      return param(node, null);
    }

    /**
     * A parameter, or with {@code field} given a field of a list parameter's items (its name is the
     * key it was declared under, e.g. {@code releases[].chart}).
     */
    private Param param(Node node, String field) {
      Map<String, NodeTuple> m =
          mapping(node, field == null ? "a parameter" : "field '" + field + "'", PARAM_KEYS);
      String name =
          field != null
              ? field.substring(field.lastIndexOf('.') + 1)
              : requiredString(m, node, "name", "a parameter");
      if (field != null && m.containsKey("name")) {
        throw problem(
            m.get("name").getKeyNode(),
            "field '" + field + "': a field's name is its key under 'items'");
      }
      if (!ID.matcher(name).matches()) {
        throw problem(
            node,
            "parameter name '"
                + name
                + "' must start with a letter and hold only letters, digits, _ and -");
      }
      ParamType type = ParamType.STRING;
      if (m.containsKey("type")) {
        Node t = m.get("type").getValueNode();
        try {
          type = ParamType.parse(scalarText(t, "type of parameter '" + name + "'"));
        } catch (IllegalArgumentException e) {
          throw problem(t, "parameter '" + name + "': " + e.getMessage());
        }
      }
      List<String> under =
          m.containsKey("under") ? texts(m.get("under").getValueNode(), "under") : List.of();
      List<String> allowed =
          m.containsKey("allowed") ? texts(m.get("allowed").getValueNode(), "allowed") : List.of();
      if (!under.isEmpty() && type != ParamType.PATH) {
        throw problem(
            m.get("under").getKeyNode(), "parameter '" + name + "': 'under' is only for type path");
      }
      for (String root : under) {
        try {
          ParamType.PATH.coerce(root);
        } catch (IllegalArgumentException e) {
          throw problem(
              m.get("under").getValueNode(), "parameter '" + name + "': under: " + e.getMessage());
        }
      }
      if (type == ParamType.PROGRAM && allowed.isEmpty()) {
        throw problem(
            node,
            "parameter '"
                + name
                + "' is a program: list the programs a caller may choose in 'allowed'");
      }
      if (!allowed.isEmpty() && type != ParamType.PROGRAM) {
        throw problem(
            m.get("allowed").getKeyNode(),
            "parameter '" + name + "': 'allowed' is only for type program");
      }
      Long min = bound(m, "min", name, type);
      Long max = bound(m, "max", name, type);
      if (min != null && max != null && min > max) {
        throw problem(node, "parameter '" + name + "': min " + min + " is above max " + max);
      }
      String pattern = null;
      if (m.containsKey("pattern")) {
        Node pn = m.get("pattern").getValueNode();
        if (type != ParamType.STRING) {
          throw problem(
              m.get("pattern").getKeyNode(),
              "parameter '" + name + "': 'pattern' is only for type string");
        }
        pattern = scalarText(pn, "pattern");
        try {
          Pattern.compile(pattern);
        } catch (java.util.regex.PatternSyntaxException e) {
          throw problem(pn, "parameter '" + name + "': pattern: " + e.getDescription());
        }
      }
      Param items = null;
      List<Param> fields = List.of();
      if (m.containsKey("items")) {
        if (type != ParamType.LIST) {
          throw problem(
              m.get("items").getKeyNode(),
              "parameter '" + name + "': 'items' is only for type list");
        }
        String at = (field == null ? name : field) + "[]";
        Node in = m.get("items").getValueNode();
        Map<String, NodeTuple> im = mapping(in, "'items' of parameter '" + name + "'", null);
        if (im.containsKey("type") && im.get("type").getValueNode() instanceof ScalarNode) {
          // items: {type: integer, min: 0}: every item is such a value
          items = param(in, at + ".item");
          items = rename(items, name);
        } else {
          // items: {name: {type: name, required: true}, chart: {...}}: every item is an object
          List<Param> declaredFields = new ArrayList<>();
          for (Map.Entry<String, NodeTuple> e : im.entrySet()) {
            declaredFields.add(param(e.getValue().getValueNode(), at + "." + e.getKey()));
          }
          if (declaredFields.isEmpty()) {
            throw problem(in, "parameter '" + name + "': 'items' declares no field");
          }
          items =
              new Param(
                  name,
                  ParamType.MAP,
                  null,
                  true,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  declaredFields);
        }
      }
      Param declared =
          new Param(
              name, type, null, false, null, under, allowed, min, max, pattern, items, fields);
      Object def = null;
      if (m.containsKey("default")) {
        Node d = m.get("default").getValueNode();
        Object raw = value(d);
        if (raw != null) {
          try {
            def = declared.accept(raw);
          } catch (IllegalArgumentException e) {
            throw problem(d, "default of parameter '" + name + "': " + e.getMessage());
          }
        }
      }
      boolean required =
          m.containsKey("required") && bool(m.get("required").getValueNode(), "required");
      if (required && def != null) {
        throw problem(node, "parameter '" + name + "' is required and has a default; choose one");
      }
      return new Param(
          name,
          type,
          def,
          required,
          optionalString(m, "description"),
          under,
          allowed,
          min,
          max,
          pattern,
          items,
          fields);
    }

    private static Param rename(Param p, String name) {
      return new Param(
          name,
          p.type(),
          p.defaultValue(),
          p.required(),
          p.description(),
          p.under(),
          p.allowed(),
          p.min(),
          p.max(),
          p.pattern(),
          p.items(),
          p.fields());
    }

    /** An integer parameter's {@code min} or {@code max}, null when not given. */
    private Long bound(Map<String, NodeTuple> m, String key, String name, ParamType type) {
      if (!m.containsKey(key)) {
        return null;
      }
      if (type != ParamType.INTEGER) {
        throw problem(
            m.get(key).getKeyNode(),
            "parameter '" + name + "': '" + key + "' is only for type integer");
      }
      return integer(m.get(key).getValueNode(), key);
    }

    private List<String> texts(Node node, String what) {
      List<String> out = new ArrayList<>();
      for (Node n : sequence(node, what)) {
        out.add(scalarText(n, "an item of '" + what + "'"));
      }
      return out;
    }

    private void collectIds(List<Node> stepNodes) {
      for (Node s : stepNodes) {
        if (s instanceof MappingNode mn) {
          for (NodeTuple t : mn.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k
                && t.getValueNode() instanceof ScalarNode v) {
              if (k.getValue().equals("id")) {
                allIds.add(v.getValue());
              }
            } else if (t.getKeyNode() instanceof ScalarNode k
                && k.getValue().equals("finally")
                && t.getValueNode() instanceof SequenceNode fin) {
              collectIds(fin.getValue());
            }
          }
        }
      }
    }

    /**
     * @param itemInScope true for the finally steps of a forEach step: they run once per item and
     *     see that item as {@code ${item}}
     */
    private Step step(Node node, List<String> earlier, boolean inFinally, boolean itemInScope) {
      Map<String, NodeTuple> m = mapping(node, "a step", STEP_KEYS);
      String id = requiredString(m, node, "id", "a step");
      if (!ID.matcher(id).matches()) {
        throw problem(
            m.get("id").getValueNode(),
            "step id '" + id + "' must start with a letter and hold only letters, digits, _ and -");
      }
      if (!stepIds.add(id)) {
        throw problem(m.get("id").getValueNode(), "duplicate step id '" + id + "'");
      }
      String action = requiredString(m, node, "action", "step '" + id + "'");
      ActionSignature sig = actions.get(action);
      if (sig == null) {
        throw problem(
            m.get("action").getValueNode(),
            "step '"
                + id
                + "': unknown action '"
                + action
                + "' (known: "
                + String.join(", ", actions.keySet())
                + ")");
      }
      String forEach = optionalString(m, "forEach");
      if (forEach != null) {
        checkReferences(m.get("forEach").getValueNode(), forEach, earlier, itemInScope, id);
      }
      String when = null;
      if (m.containsKey("when")) {
        Node w = m.get("when").getValueNode();
        if (!(w instanceof ScalarNode)) {
          throw problem(
              w,
              "step '" + id + "': 'when' must be one expression such as ${steps.drive.available}");
        }
        when = ((ScalarNode) w).getValue();
        if (when.isBlank()) {
          throw problem(w, "step '" + id + "': 'when' is empty");
        }
        if (!itemInScope
            && Expressions.references(when).stream()
                .flatMap(r -> Reference.tryParse(r).stream())
                .anyMatch(r -> r.root() == Reference.Root.ITEM)) {
          throw problem(
              w,
              "step '"
                  + id
                  + "': 'when' is decided once for the whole step, so ${item} cannot be used"
                  + " in it");
        }
        // a step's own output does not exist yet when its condition is decided
        checkReferences(w, when, earlier, itemInScope, id);
      }
      Map<String, Object> with = new LinkedHashMap<>();
      if (m.containsKey("with")) {
        Node w = m.get("with").getValueNode();
        if (!(w instanceof ScalarNode s && s.getTag() == Tag.NULL)) {
          Map<String, NodeTuple> args = mapping(w, "'with' of step '" + id + "'", null);
          for (Map.Entry<String, NodeTuple> e : args.entrySet()) {
            if (!sig.args().containsKey(e.getKey())) {
              throw problem(
                  e.getValue().getKeyNode(),
                  "step '"
                      + id
                      + "': action '"
                      + action
                      + "' has no argument '"
                      + e.getKey()
                      + "' (it takes: "
                      + String.join(", ", sig.args().keySet())
                      + ")");
            }
            Node valueNode = e.getValue().getValueNode();
            Object v = value(valueNode);
            checkReferences(valueNode, v, earlier, forEach != null || itemInScope, id);
            java.util.Optional<String> bad = ArgRules.problem(sig.args().get(e.getKey()), v);
            if (bad.isPresent()) {
              throw problem(
                  valueNode, "step '" + id + "': " + action + " " + e.getKey() + ": " + bad.get());
            }
            if (NotifySpec.ACTION.equals(action)
                && e.getKey().equals("url")
                && String.valueOf(v).contains("${")) {
              throw problem(
                  valueNode,
                  "step '"
                      + id
                      + "': the notify url is written in the runbook (or set by "
                      + "LIFEBOAT_NOTIFY_URL), never taken from parameters or outputs");
            }
            with.put(e.getKey(), v);
          }
        }
      }
      for (ArgSpec a : sig.args().values()) {
        if (a.required() && with.get(a.name()) == null) {
          throw problem(
              node, "step '" + id + "': action '" + action + "' needs argument '" + a.name() + "'");
        }
      }
      for (ArgSpec a : sig.args().values()) {
        for (String needed : a.needs()) {
          if (with.get(a.name()) != null && with.get(needed) == null) {
            throw problem(
                node,
                "step '"
                    + id
                    + "': action '"
                    + action
                    + "' takes '"
                    + a.name()
                    + "' only with '"
                    + needed
                    + "'");
          }
        }
      }
      RetrySpec retry = null;
      if (m.containsKey("retry")) {
        Node r = m.get("retry").getValueNode();
        Map<String, NodeTuple> rm = mapping(r, "'retry' of step '" + id + "'", RETRY_KEYS);
        Integer max =
            rm.containsKey("maxAttempts")
                ? (int) integer(rm.get("maxAttempts").getValueNode(), "maxAttempts")
                : null;
        String initial =
            rm.containsKey("initialInterval")
                ? duration(rm.get("initialInterval").getValueNode())
                : null;
        Double backoff = null;
        if (rm.containsKey("backoff")) {
          Object b = value(rm.get("backoff").getValueNode());
          if (!(b instanceof Number n) || n.doubleValue() < 1.0) {
            throw problem(
                rm.get("backoff").getValueNode(), "'backoff' must be a number of at least 1.0");
          }
          backoff = ((Number) b).doubleValue();
        }
        if (max != null && max < 1) {
          throw problem(rm.get("maxAttempts").getValueNode(), "'maxAttempts' must be at least 1");
        }
        retry = new RetrySpec(max, initial, backoff);
      }
      String timeout = m.containsKey("timeout") ? duration(m.get("timeout").getValueNode()) : null;
      String approval = null;
      String approvalGroup = null;
      if (m.containsKey("approval") && m.get("approval").getValueNode() instanceof MappingNode an) {
        // approval: {message: ..., group: ops}
        Map<String, NodeTuple> am = mapping(an, "'approval' of step '" + id + "'", APPROVAL_KEYS);
        approval = am.containsKey("message") ? optionalString(am, "message") : "approve step " + id;
        approvalGroup = optionalString(am, "group");
      } else {
        approval = optionalString(m, "approval");
      }
      if (approval != null) {
        checkReferences(
            m.get("approval").getValueNode(),
            approval,
            earlier,
            forEach != null || itemInScope,
            id);
      }
      if (BuiltinActions.APPROVAL.equals(action) && with.get("group") instanceof String g) {
        approvalGroup = g;
      }
      int parallelism =
          m.containsKey("parallelism")
              ? (int) integer(m.get("parallelism").getValueNode(), "parallelism")
              : 1;
      if (parallelism < 1) {
        throw problem(m.get("parallelism").getValueNode(), "'parallelism' must be at least 1");
      }
      boolean continueOnError =
          m.containsKey("continueOnError")
              && bool(m.get("continueOnError").getValueNode(), "continueOnError");
      List<Step> fin = new ArrayList<>();
      if (m.containsKey("finally")) {
        if (inFinally) {
          throw problem(
              m.get("finally").getKeyNode(),
              "step '" + id + "': a finally step cannot have its own 'finally'");
        }
        List<String> visible = new ArrayList<>(earlier);
        visible.add(id);
        for (Node f : sequence(m.get("finally").getValueNode(), "finally of step '" + id + "'")) {
          fin.add(step(f, visible, true, forEach != null));
        }
      }
      return new Step(
          id,
          action,
          with,
          retry,
          timeout,
          approval,
          approvalGroup,
          forEach,
          when,
          parallelism,
          continueOnError,
          fin,
          node.getStartMark().getLine() + 1);
    }

    private void checkReferences(
        Node node, Object value, List<String> earlier, boolean hasItem, String stepId) {
      for (String ref : Expressions.references(value)) {
        String why;
        try {
          why =
              Reference.parse(ref)
                  .problem(params.keySet(), earlier, allIds, stepId, hasItem)
                  .orElse(null);
        } catch (Expressions.UnresolvedReference e) {
          why = e.why();
        }
        if (why != null) {
          throw problem(node, "step '" + stepId + "': ${" + ref + "}: " + why);
        }
      }
    }

    /**
     * {@code notify: {on: [failure, approval, completion], url?, format?}}; the url must be
     * literal.
     */
    private NotifySpec notify(Node node) {
      Map<String, NodeTuple> m = mapping(node, "'notify'", Set.of("on", "url", "format"));
      if (!m.containsKey("on")) {
        throw problem(
            node, "'notify' needs 'on': a list of " + String.join(", ", NotifySpec.EVENTS));
      }
      List<String> on = texts(m.get("on").getValueNode(), "on");
      for (String event : on) {
        if (!NotifySpec.EVENTS.contains(event)) {
          throw problem(
              m.get("on").getValueNode(),
              "notify on '"
                  + event
                  + "' is not an event (known: "
                  + String.join(", ", NotifySpec.EVENTS)
                  + ")");
        }
      }
      String url = optionalString(m, "url");
      if (url != null && !url.matches("https?://[^\\s$]+")) {
        throw problem(
            m.get("url").getValueNode(),
            "notify url must be a literal http:// or https:// address, got '" + url + "'");
      }
      String format = optionalString(m, "format");
      if (format != null && !NotifySpec.FORMATS.contains(format)) {
        throw problem(
            m.get("format").getValueNode(),
            "notify format '"
                + format
                + "' is not one of "
                + String.join(", ", NotifySpec.FORMATS));
      }
      return new NotifySpec(on, url, format);
    }

    private Map<String, NodeTuple> mapping(Node node, String what, Set<String> allowed) {
      if (!(node instanceof MappingNode mn)) {
        throw problem(node, what + " must be a mapping (key: value)");
      }
      Map<String, NodeTuple> out = new LinkedHashMap<>();
      for (NodeTuple t : mn.getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode k)) {
          throw problem(t.getKeyNode(), "keys of " + what + " must be plain words");
        }
        if (allowed != null && !allowed.contains(k.getValue())) {
          throw problem(
              k,
              "unknown key '"
                  + k.getValue()
                  + "' in "
                  + what
                  + " (allowed: "
                  + String.join(", ", allowed.stream().sorted().toList())
                  + ")");
        }
        if (out.put(k.getValue(), t) != null) {
          // snakeyaml only reports duplicate keys when constructing objects; we compose nodes
          throw problem(k, "duplicate key '" + k.getValue() + "' in " + what);
        }
      }
      return out;
    }

    private List<Node> sequence(Node node, String what) {
      if (!(node instanceof SequenceNode sn)) {
        throw problem(node, "'" + what + "' must be a list");
      }
      return sn.getValue();
    }

    private String requiredString(Map<String, NodeTuple> m, Node owner, String key, String what) {
      if (!m.containsKey(key)) {
        throw problem(owner, what + " has no '" + key + "'");
      }
      String s = scalarText(m.get(key).getValueNode(), "'" + key + "'");
      if (s.isBlank()) {
        throw problem(m.get(key).getValueNode(), "'" + key + "' of " + what + " is empty");
      }
      return s;
    }

    private String optionalString(Map<String, NodeTuple> m, String key) {
      if (!m.containsKey(key)) {
        return null;
      }
      Node n = m.get(key).getValueNode();
      if (n instanceof ScalarNode s && s.getTag() == Tag.NULL) {
        return null;
      }
      return scalarText(n, "'" + key + "'");
    }

    private String scalarText(Node node, String what) {
      if (!(node instanceof ScalarNode s)) {
        throw problem(node, what + " must be a single value");
      }
      return s.getValue();
    }

    private boolean bool(Node node, String what) {
      Object v = value(node);
      if (!(v instanceof Boolean b)) {
        throw problem(node, "'" + what + "' must be true or false");
      }
      return b;
    }

    private long integer(Node node, String what) {
      Object v = value(node);
      if (!(v instanceof Long l)) {
        throw problem(node, "'" + what + "' must be a whole number");
      }
      return l;
    }

    private String duration(Node node) {
      String text = scalarText(node, "a duration");
      try {
        Durations.parse(text);
      } catch (IllegalArgumentException e) {
        throw problem(node, e.getMessage());
      }
      return text;
    }

    private Object value(Node node) {
      if (node instanceof ScalarNode s) {
        Tag tag = s.getTag();
        String v = s.getValue();
        try {
          if (Tag.NULL.equals(tag)) {
            return null;
          }
          if (Tag.BOOL.equals(tag)) {
            return Boolean.parseBoolean(v.toLowerCase(java.util.Locale.ROOT))
                || v.equalsIgnoreCase("yes")
                || v.equalsIgnoreCase("on");
          }
          if (Tag.INT.equals(tag)) {
            return Long.parseLong(v.replace("_", ""));
          }
          if (Tag.FLOAT.equals(tag)) {
            return Double.parseDouble(v.replace("_", ""));
          }
        } catch (NumberFormatException e) {
          return v;
        }
        return v;
      }
      if (node instanceof SequenceNode sn) {
        List<Object> out = new ArrayList<>();
        sn.getValue().forEach(n -> out.add(value(n)));
        return out;
      }
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, NodeTuple> e : mapping(node, "a value", null).entrySet()) {
        out.put(e.getKey(), value(e.getValue().getValueNode()));
      }
      return out;
    }

    private RunbookProblem problem(Node node, String reason) {
      return new RunbookProblem(file, node == null ? 0 : node.getStartMark().getLine() + 1, reason);
    }
  }
}
