package dev.lifeboat.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/** Lifeboat's configuration; every field has a default that works on a single machine. */
public class LifeboatConfiguration extends Configuration {
  @NotNull
  private String runbooks = "runbooks";

  @NotNull
  private String repository = "data/repository";

  @Valid
  @NotNull
  private TemporalFactory temporal = new TemporalFactory();

  @JsonProperty
  public String getRunbooks() {
    return runbooks;
  }

  @JsonProperty
  public void setRunbooks(String runbooks) {
    this.runbooks = runbooks;
  }

  @JsonProperty
  public String getRepository() {
    return repository;
  }

  @JsonProperty
  public void setRepository(String repository) {
    this.repository = repository;
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
}
