package dev.lifeboat.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/** Lifeboat's configuration; every field has a default that works on a single machine. */
public class LifeboatConfiguration extends Configuration {
  @NotNull private String runbooks = "runbooks";

  @NotNull private String repository = "data/repository";

  @Valid @NotNull private TemporalFactory temporal = new TemporalFactory();

  /** Pid files of running child programs; blank: {@code run/programs} beside the repository. */
  private String runDir = "";

  /** The helm program the helm action runs: configuration only, never a run parameter. */
  private String helm = "helm";

  @JsonProperty
  public String getRunDir() {
    return runDir;
  }

  @JsonProperty
  public void setRunDir(String runDir) {
    this.runDir = runDir == null ? "" : runDir.trim();
  }

  @JsonProperty
  public String getHelm() {
    return helm;
  }

  @JsonProperty
  public void setHelm(String helm) {
    this.helm = helm == null || helm.isBlank() ? "helm" : helm.trim();
  }

  @JsonProperty
  public String getRunbooks() {
    return runbooks;
  }

  @JsonProperty
  public void setRunbooks(String runbooks) {
    this.runbooks = runbooks;
  }

  /**
   * Colon-separated directories besides the repository that an absolute {@code archive} may lie in.
   */
  private String archiveRoots = "";

  @JsonProperty
  public String getArchiveRoots() {
    return archiveRoots;
  }

  @JsonProperty
  public void setArchiveRoots(String archiveRoots) {
    this.archiveRoots = archiveRoots == null ? "" : archiveRoots;
  }

  @JsonProperty
  public String getRepository() {
    return repository;
  }

  @JsonProperty
  public void setRepository(String repository) {
    this.repository = repository;
  }

  @Valid @NotNull private OffsiteFactory offsite = new OffsiteFactory();

  @Valid @NotNull
  private dev.lifeboat.api.auth.AuthSettings auth = new dev.lifeboat.api.auth.AuthSettings();

  /** Tokens and the public URL; see docs/security.md. */
  @JsonProperty
  public dev.lifeboat.api.auth.AuthSettings getAuth() {
    return auth;
  }

  @JsonProperty
  public void setAuth(dev.lifeboat.api.auth.AuthSettings auth) {
    this.auth = auth;
  }

  /**
   * Longest acceptable age of the newest archive, by set or set/source; older turns the health
   * check red.
   */
  @NotNull
  private java.util.Map<String, String> staleness =
      new java.util.LinkedHashMap<>(
          java.util.Map.of("tier1", "36h", "tier2", "8d", "tier3", "32d"));

  @JsonProperty
  public java.util.Map<String, String> getStaleness() {
    return staleness;
  }

  @JsonProperty
  public void setStaleness(java.util.Map<String, String> staleness) {
    this.staleness = staleness == null ? new java.util.LinkedHashMap<>() : staleness;
  }

  /**
   * Approver groups: group name to comma-separated caller names (also LIFEBOAT_APPROVERS_<GROUP>).
   */
  @NotNull private java.util.Map<String, String> approvers = new java.util.LinkedHashMap<>();

  @JsonProperty
  public java.util.Map<String, String> getApprovers() {
    return approvers;
  }

  @JsonProperty
  public void setApprovers(java.util.Map<String, String> approvers) {
    this.approvers = approvers == null ? new java.util.LinkedHashMap<>() : approvers;
  }

  @JsonProperty
  public OffsiteFactory getOffsite() {
    return offsite;
  }

  @JsonProperty
  public void setOffsite(OffsiteFactory offsite) {
    this.offsite = offsite;
  }

  @JsonProperty
  public TemporalFactory getTemporal() {
    return temporal;
  }

  @JsonProperty
  public void setTemporal(TemporalFactory temporal) {
    this.temporal = temporal;
  }

  /** How to reach Temporal; a blank address runs the embedded in-memory test server. */
  public static class TemporalFactory {
    private String address = "";
    private String namespace = "default";
    private int embeddedPort = 0;
    private boolean worker = true;

    /**
     * {@code dev-server} when scripts/start.sh runs the server; otherwise the mode follows the
     * address.
     */
    private String mode = "";

    /** Base address of the Temporal UI for the runs' links; wins in every mode. */
    private String uiUrl = "";

    @JsonProperty
    public String getMode() {
      return mode;
    }

    @JsonProperty
    public void setMode(String mode) {
      this.mode = mode == null ? "" : mode.trim();
    }

    @JsonProperty
    public String getUiUrl() {
      return uiUrl;
    }

    @JsonProperty
    public void setUiUrl(String uiUrl) {
      this.uiUrl = uiUrl == null ? "" : uiUrl.trim();
    }

    private String schedulePrefix = "lifeboat-";

    /**
     * Temporal schedule ids are this prefix plus the schedule's name; Lifeboat only touches
     * schedules with it.
     */
    @JsonProperty
    public String getSchedulePrefix() {
      return schedulePrefix;
    }

    @JsonProperty
    public void setSchedulePrefix(String schedulePrefix) {
      this.schedulePrefix = schedulePrefix;
    }

    @JsonProperty
    public String getAddress() {
      return address;
    }

    @JsonProperty
    public void setAddress(String address) {
      this.address = address;
    }

    @JsonProperty
    public String getNamespace() {
      return namespace;
    }

    @JsonProperty
    public void setNamespace(String namespace) {
      this.namespace = namespace;
    }

    @JsonProperty
    public int getEmbeddedPort() {
      return embeddedPort;
    }

    @JsonProperty
    public void setEmbeddedPort(int embeddedPort) {
      this.embeddedPort = embeddedPort;
    }

    /** Whether this process also runs a worker (always true when embedded). */
    @JsonProperty
    public boolean isWorker() {
      return worker;
    }

    @JsonProperty
    public void setWorker(boolean worker) {
      this.worker = worker;
    }
  }

  /**
   * The encrypted offsite copy (rclone). Blank {@code type}: none. The crypt password comes from
   * {@code passwordFile} or the environment variable named by {@code passwordEnv}, never from this
   * file.
   */
  public static class OffsiteFactory {
    private String type = "";
    private String remotePath = "";
    private java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
    private String passwordEnv = "LIFEBOAT_OFFSITE_PASSWORD";
    private String passwordFile = "";
    private String saltEnv = "LIFEBOAT_OFFSITE_SALT";

    @JsonProperty
    public String getType() {
      return type;
    }

    @JsonProperty
    public void setType(String type) {
      this.type = type == null ? "" : type.trim();
    }

    @JsonProperty
    public String getRemotePath() {
      return remotePath;
    }

    @JsonProperty
    public void setRemotePath(String remotePath) {
      this.remotePath = remotePath == null ? "" : remotePath.trim();
    }

    @JsonProperty
    public java.util.Map<String, String> getOptions() {
      return options;
    }

    @JsonProperty
    public void setOptions(java.util.Map<String, String> options) {
      this.options = options == null ? new java.util.LinkedHashMap<>() : options;
    }

    @JsonProperty
    public String getPasswordEnv() {
      return passwordEnv;
    }

    @JsonProperty
    public void setPasswordEnv(String passwordEnv) {
      this.passwordEnv = passwordEnv;
    }

    @JsonProperty
    public String getPasswordFile() {
      return passwordFile;
    }

    @JsonProperty
    public void setPasswordFile(String passwordFile) {
      this.passwordFile = passwordFile == null ? "" : passwordFile.trim();
    }

    @JsonProperty
    public String getSaltEnv() {
      return saltEnv;
    }

    @JsonProperty
    public void setSaltEnv(String saltEnv) {
      this.saltEnv = saltEnv;
    }

    /** The rclone settings, or empty when no offsite copy is configured. */
    public java.util.Optional<dev.lifeboat.activities.offsite.OffsiteConfig> toConfig(
        java.nio.file.Path repository) {
      if (type.isEmpty()) {
        return java.util.Optional.empty();
      }
      String password;
      if (!passwordFile.isEmpty()) {
        try {
          password = java.nio.file.Files.readString(java.nio.file.Path.of(passwordFile)).strip();
        } catch (java.io.IOException e) {
          throw new IllegalStateException(
              "offsite.passwordFile " + passwordFile + " cannot be read: " + e.getMessage());
        }
      } else {
        password = System.getenv(passwordEnv);
      }
      if (password == null || password.isEmpty()) {
        throw new IllegalStateException(
            "offsite.type is set but no crypt password was given: set "
                + passwordEnv
                + " or offsite.passwordFile");
      }
      String salt = saltEnv == null ? null : System.getenv(saltEnv);
      return java.util.Optional.of(
          new dev.lifeboat.activities.offsite.OffsiteConfig(
              type, options, remotePath, password, salt, repository));
    }
  }
}
