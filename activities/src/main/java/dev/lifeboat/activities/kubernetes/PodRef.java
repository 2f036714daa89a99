package dev.lifeboat.activities.kubernetes;

/** One container of one pod, as resolved for exec. */
public record PodRef(String namespace, String pod, String container) {
  @Override
  public String toString() {
    return "pod " + namespace + "/" + pod + " container " + container;
  }
}
