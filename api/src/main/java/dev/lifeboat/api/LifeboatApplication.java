package dev.lifeboat.api;

import dev.lifeboat.activities.action.ActionRegistry;
import dev.lifeboat.activities.action.Redactor;
import dev.lifeboat.activities.archive.Repository;
import dev.lifeboat.activities.command.ProgramGroups;
import dev.lifeboat.api.auth.ExposureCheck;
import dev.lifeboat.api.auth.Security;
import dev.lifeboat.api.cli.ApproveCommand;
import dev.lifeboat.api.cli.CancelCommand;
import dev.lifeboat.api.cli.CliExit;
import dev.lifeboat.api.cli.ListCommand;
import dev.lifeboat.api.cli.RunCommand;
import dev.lifeboat.api.cli.StatusCommand;
import dev.lifeboat.api.core.RunService;
import dev.lifeboat.api.core.RunbookCatalog;
import dev.lifeboat.api.core.RunbookFolder;
import dev.lifeboat.api.core.TemporalInfo;
import dev.lifeboat.api.errors.JettyErrors;
import dev.lifeboat.api.errors.JsonErrors;
import dev.lifeboat.api.health.ProbeServlet;
import dev.lifeboat.api.health.RunbooksHealthCheck;
import dev.lifeboat.api.health.StalenessHealthCheck;
import dev.lifeboat.api.health.TemporalHealthCheck;
import dev.lifeboat.api.resources.ActionsResource;
import dev.lifeboat.api.resources.BackupsResource;
import dev.lifeboat.api.resources.InfoResource;
import dev.lifeboat.api.resources.RunbooksResource;
import dev.lifeboat.api.resources.RunsResource;
import dev.lifeboat.worker.StandardActions;
import dev.lifeboat.worker.TemporalSettings;
import dev.lifeboat.worker.WorkerSettings;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/** Lifeboat: the API, the web page and (embedded or configured) the worker, in one process. */
public class LifeboatApplication extends Application<LifeboatConfiguration> {
  /** The configuration used when {@code server} is given no file. */
  public static final String BUILT_IN_CONFIG = "classpath:lifeboat.yml";

  public static void main(String[] args) throws Exception {
    new LifeboatApplication().run(withDefaultConfig(args));
  }

  /**
   * {@code server} alone runs the built-in configuration, so the embedded default needs no file.
   */
  static String[] withDefaultConfig(String[] args) {
    if (args.length == 1
        && (args[0].equals("server") || args[0].equals("check") || args[0].equals("worker"))) {
      return new String[] {args[0], BUILT_IN_CONFIG};
    }
    return args;
  }

  /**
   * The JVM takes the encoding of file names from the locale: under C/POSIX every name that is not
   * ASCII is unreadable to it (scripts/start.sh and the image set a UTF-8 locale).
   */
  private static void warnUnlessUtf8FileNames() {
    if (!dev.lifeboat.activities.archive.RawNames.fileNamesAreUtf8()) {
      org.slf4j.LoggerFactory.getLogger(LifeboatApplication.class)
          .warn(
              "file names are read as {}, not UTF-8: files whose names are not plain ASCII are"
                  + " skipped by backups and cannot be restored; start Lifeboat with a UTF-8"
                  + " locale, e.g. LC_ALL=C.UTF-8 (scripts/start.sh does)",
              dev.lifeboat.activities.archive.RawNames.FILE_NAME_ENCODING);
    }
  }

  @Override
  protected void onFatalError(Throwable t) {
    System.exit(exitCode(t));
  }

  /**
   * The process's exit code for what ended a command: a command line the parser refused is a
   * refused request (2), as the README's table says; 1 is a run that failed.
   */
  public static int exitCode(Throwable t) {
    return t instanceof CliExit exit
        ? exit.code()
        : t instanceof net.sourceforge.argparse4j.inf.ArgumentParserException ? 2 : 1;
  }

  @Override
  protected void addDefaultCommands(Bootstrap<LifeboatConfiguration> bootstrap) {
    bootstrap.addCommand(new io.dropwizard.core.cli.CheckCommand<>(this));
    // a refusal to start is one line saying what to change, not a stack trace
    bootstrap.addCommand(
        new io.dropwizard.core.cli.ServerCommand<>(this) {
          @Override
          public void onError(
              io.dropwizard.core.cli.Cli cli,
              net.sourceforge.argparse4j.inf.Namespace ns,
              Throwable e) {
            if (e instanceof ExposureCheck.StartupRefused) {
              cli.getStdErr().println("lifeboat: " + e.getMessage());
            } else {
              super.onError(cli, ns, e);
            }
          }
        });
  }

  @Override
  public String getName() {
    return "lifeboat";
  }

  @Override
  public void initialize(Bootstrap<LifeboatConfiguration> bootstrap) {
    bootstrap.setConfigurationSourceProvider(
        new SubstitutingSourceProvider(new FileOrClasspath(), new EnvironmentValues()));
    bootstrap.addBundle(new PageAssets());
    bootstrap.addCommand(new RunCommand());
    bootstrap.addCommand(new StatusCommand());
    bootstrap.addCommand(new ApproveCommand());
    bootstrap.addCommand(new CancelCommand());
    bootstrap.addCommand(new ListCommand());
    bootstrap.addCommand(new WorkerCommand(this));
    bootstrap.addCommand(new dev.lifeboat.api.cli.SchedulesCommand());
    bootstrap.addCommand(new dev.lifeboat.api.cli.ScheduleCommand());
  }

  @Override
  public void run(LifeboatConfiguration config, Environment env) {
    // first: nothing listens or runs when the configuration exposes Lifeboat without a token
    Security.install(config.getAuth(), config.getServerFactory(), env);
    JettyErrors.install(env);
    warnUnlessUtf8FileNames();

    Path repository = Path.of(config.getRepository()).toAbsolutePath().normalize();
    WorkerSettings settings = workerSettings(config);
    List<Path> archiveRoots = settings.archiveRoots();
    ActionRegistry actions = StandardActions.create(settings);
    var t = config.getTemporal();
    LifeboatRuntime runtime =
        new LifeboatRuntime(
            temporalSettings(config),
            actions,
            t.isWorker(),
            ProgramGroups.recordedIn(settings.runDir()));
    env.lifecycle().manage(runtime);

    RunbookCatalog catalog =
        new RunbookCatalog(RunbookFolder.resolve(config.getRunbooks()), actions.signatures());
    catalog.reload();
    var connection = runtime.connection();
    TemporalInfo temporal =
        TemporalInfo.of(
            connection.isEmbedded(),
            t.getMode(),
            connection.target(),
            connection.namespace(),
            t.getUiUrl());
    RunService runs = new RunService(connection.client(), catalog, temporal);

    env.jersey().register(new JsonErrors.Api());
    env.jersey().register(new JsonErrors.Web());
    env.jersey().register(new JsonErrors.BadJson());
    env.jersey().register(new JsonErrors.Unexpected());
    env.jersey().register(new RunbooksResource(catalog, runs));
    env.jersey()
        .register(
            new RunsResource(
                runs,
                new dev.lifeboat.api.core.ApproverGroups(config.getApprovers(), System.getenv())));
    env.jersey().register(new dev.lifeboat.api.errors.BodySizeLimit());
    env.jersey().register(new ActionsResource(catalog));
    env.jersey().register(new InfoResource(temporal));
    env.jersey().register(OpenApi.resource());
    env.jersey().register(new BackupsResource(new Repository(repository, archiveRoots)));
    var schedules =
        new dev.lifeboat.api.core.RunbookSchedules(
            catalog,
            runs,
            runtime.connection().client(),
            runtime.connection().isEmbedded(),
            t.getSchedulePrefix(),
            env.metrics());
    env.lifecycle().manage(schedules);
    catalog.onReload(schedules::syncAfterReload);
    env.jersey().register(new dev.lifeboat.api.resources.SchedulesResource(schedules, runs));

    // Prometheus text exposition; under the request guard like all of /admin (a token when tokens
    // are set)
    var prometheus = new io.prometheus.metrics.model.registry.PrometheusRegistry();
    prometheus.register(
        new dev.lifeboat.api.metrics.LifeboatMetrics(
            new Repository(repository, archiveRoots), runs));
    env.admin()
        .addServlet(
            "prometheus",
            new io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet(prometheus))
        .addMapping("/prometheus");
    env.healthChecks().register("temporal", new TemporalHealthCheck(runtime.connection()));
    env.healthChecks().register("runbooks", new RunbooksHealthCheck(catalog));
    env.admin().addServlet("live", ProbeServlet.live()).addMapping("/health/live");
    env.admin()
        .addServlet("ready", ProbeServlet.ready(env.healthChecks(), "temporal"))
        .addMapping("/health/ready");
    env.healthChecks()
        .register(
            "staleness",
            new StalenessHealthCheck(
                new Repository(repository),
                config.getStaleness(),
                new dev.lifeboat.api.health.CatalogIntervals(catalog),
                env.metrics(),
                java.time.Clock.systemUTC()));
  }

  /** What the worker needs from the configuration: shared by {@code server} and {@code worker}. */
  static WorkerSettings workerSettings(LifeboatConfiguration config) {
    Path repository = Path.of(config.getRepository()).toAbsolutePath().normalize();
    WorkerSettings settings =
        WorkerSettings.of(repository, Path.of(config.getRunbooks()).resolve("playbooks"));
    settings = config.getOffsite().toConfig(repository).map(settings::withOffsite).orElse(settings);
    settings = settings.withArchiveRoots(Repository.archiveRoots(config.getArchiveRoots()));
    if (config.getRunDir() != null && !config.getRunDir().isBlank()) {
      settings = settings.withRunDir(Path.of(config.getRunDir()));
    }
    settings = settings.withHelm(config.getHelm());
    // API tokens are masked in every error and log line (the offsite password registers itself)
    Redactor.add(System.getenv("LIFEBOAT_API_TOKEN"));
    RedactingLogFilter.install();
    return settings;
  }

  static TemporalSettings temporalSettings(LifeboatConfiguration config) {
    var t = config.getTemporal();
    return new TemporalSettings(t.getAddress(), t.getNamespace(), t.getEmbeddedPort());
  }

  /** Reads a configuration file, or a resource when the name starts with {@code classpath:}. */
  static final class FileOrClasspath implements ConfigurationSourceProvider {
    private final ConfigurationSourceProvider files = new FileConfigurationSourceProvider();

    @Override
    public InputStream open(String path) throws IOException {
      if (path.startsWith("classpath:")) {
        String name = path.substring("classpath:".length());
        InputStream in = LifeboatApplication.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
          throw new IOException("built-in configuration " + name + " is missing from the jar");
        }
        return in;
      }
      return files.open(path);
    }
  }
}
