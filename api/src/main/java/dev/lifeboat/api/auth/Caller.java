package dev.lifeboat.api.auth;

import java.security.Principal;

/** Who made a request: the name of the token presented and what it may do. */
public record Caller(String name, Role role) implements Principal {
  @Override
  public String getName() {
    return name;
  }
}
