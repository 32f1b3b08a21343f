/* Small behaviours that used to be inline event handlers (onclick=, onchange=,
   javascript: URLs). The Content-Security-Policy allows scripts from 'self' only, so the
   markup names the behaviour with a data attribute and this file, loaded on every page,
   does it (docs/security.md). Listeners sit on the document, so content swapped in by
   htmx works without re-binding.

   data-tb-autosubmit  on a form control: submit its form when the value changes
   data-tb-print       on a button: print the page
   data-tb-back        on a link: go back one page (the link's href is the no-history fallback)
   class tb-refresh    on a control inside an htmx form: fire "tb-refresh" on change, so the
                       form can say hx-trigger="tb-refresh" (htmx's change[...] filters need
                       eval, which the policy forbids) */
(function () {
  "use strict";
  // htmx reads only the first htmx-config meta, and pages that need their own
  // (responseHandling) put it before base.html's; htmx merges the meta and inserts its
  // indicator <style> on DOMContentLoaded, after this file has run, so these win everywhere.
  if (window.htmx) {
    window.htmx.config.includeIndicatorStyles = false;
    window.htmx.config.allowEval = false;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    if (target.hasAttribute("data-tb-autosubmit") && target.form) {
      if (typeof target.form.requestSubmit === "function") { target.form.requestSubmit(); } else { target.form.submit(); }
    }
    if (target.classList.contains("tb-refresh")) {
      target.dispatchEvent(new CustomEvent("tb-refresh", { bubbles: true }));
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) { return; }
    if (target.closest("[data-tb-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    var back = target.closest("[data-tb-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
