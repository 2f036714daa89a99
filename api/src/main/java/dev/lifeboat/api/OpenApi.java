package dev.lifeboat.api;

import io.swagger.v3.jaxrs2.integration.resources.OpenApiResource;
import io.swagger.v3.oas.integration.SwaggerConfiguration;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.servers.Server;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /api/openapi.json} (and .yaml): the OpenAPI 3 document swagger builds from the JAX-RS
 * resources.
 */
final class OpenApi {
  private OpenApi() {}

  static OpenApiResource resource() {
    OpenAPI api =
        new OpenAPI()
            .info(
                new Info()
                    .title("Lifeboat")
                    .version("1")
                    .description(
                        "Disaster-recovery runbooks run as Temporal workflows. With tokens configured, send "
                            + "Authorization: Bearer <token>; state changes are JSON bodies."))
            .servers(List.of(new Server().url("/api")));
    SwaggerConfiguration config =
        new SwaggerConfiguration()
            .openAPI(api)
            .prettyPrint(true)
            .readAllResources(true)
            .resourcePackages(Set.of("dev.lifeboat.api.resources", "dev.lifeboat.api.auth"));
    OpenApiResource resource = new OpenApiResource();
    resource.setOpenApiConfiguration(config);
    return resource;
  }
}
