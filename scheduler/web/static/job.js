// A solve job's page, live: the job's server-sent events fill in its state and progress.
// Without JavaScript the page refreshes itself instead (a <noscript> refresh).
(function () {
  "use strict";
  var root = document.getElementById("job");
  if (!root || root.dataset.finished === "oui" || !window.EventSource) { return; }
  var STATES = { queued: "en attente d'un calculateur", running: "en cours", done: "terminé",
                 failed: "échoué", cancelled: "annulé", interrupted: "interrompu" };
  var STAGES = { coverage: "couverture des besoins", over_cover: "places en surnombre",
                 stability: "stabilité du planning publié", fairness: "équité des charges",
                 fairness_unpopular: "équité des créneaux pénibles",
                 preferences: "préférences", wishes: "souhaits", weighted: "objectif pondéré" };
  function set(name, text) {
    var el = root.querySelector('[data-field="' + name + '"]');
    if (el) { el.textContent = text; }
  }
  var source = new EventSource(root.dataset.events);
  source.addEventListener("progress", function (event) {
    var job = JSON.parse(event.data);
    set("state_fr", STATES[job.state] || job.state);
    if (job.progress) {
      set("stage", STAGES[job.progress.stage] || job.progress.stage);
      set("value", String(job.progress.value));
      set("bound", String(job.progress.bound));
      set("elapsed", job.progress.elapsed.toFixed(1));
    }
    // (The log, in French, comes with the page reloaded at the end.)
    if (job.rota_version) {
      set("version", String(job.rota_version));
      var done = root.querySelector('[data-show="done"]');
      if (done) { done.hidden = false; }
    }
  });
  source.addEventListener("end", function () {
    source.close();
    root.querySelectorAll("[data-hide-when-finished]").forEach(function (el) {
      el.hidden = true;
    });
    // The finished page says everything (the error, links): load it once.
    window.location.reload();
  });
})();
