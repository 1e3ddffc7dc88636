// Starts Swagger UI on /docs (a file, so the page keeps its Content-Security-Policy).
// Requests made with the manager's session cookie carry the anti-CSRF header.
window.addEventListener("load", function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    requestInterceptor: function (request) {
      if (token) { request.headers["x-csrftoken"] = token; }
      return request;
    },
  });
});
