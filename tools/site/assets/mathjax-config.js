// MathJax 2.7 for the course's pages, set up before MathJax.js loads (it reads window.MathJax).
// The copy served in assets/mathjax/ is the one the `jupyter-server-mathjax` package ships: TeX input,
// HTML-CSS output with its STIX-Web fonts (the only fonts that copy has), and nothing from the network.
window.MathJax = {
  config: ["TeX-AMS-MML_HTMLorMML-full.js", "Safe.js"],
  jax: ["input/TeX", "output/HTML-CSS"],
  MMLorHTML: {prefer: "HTML"},
  tex2jax: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  "HTML-CSS": {
    availableFonts: [],
    preferredFont: null,
    webFont: "STIX-Web",
    imageFont: null,
    linebreaks: {automatic: true}
  },
  // A TeX mistake shows as an error (red), not silently as its source: the browser tests look for errors.
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}, noErrors: {disabled: true}, noUndefined: {disabled: true}},
  displayAlign: "center",
  messageStyle: "none",
  // This copy of MathJax lacks the TeX fonts that some @font-face rules of its combined configuration name:
  // MathJax_Blank at about:blank (a console error in Chromium) and, for the hidden MathML kept for screen
  // readers, MathJax_AMS/Script/... .otf files (requests that fail). Drop those rules before anything is
  // typeset; HTML-CSS declares the STIX-Web fonts it uses on its own.
  AuthorInit: function () {
    MathJax.Hub.Register.StartupHook("Begin Typeset", function () {
      Array.prototype.forEach.call(document.styleSheets, function (sheet) {
        var rules;
        try { rules = sheet.cssRules; } catch (e) { return; }
        for (var i = rules.length - 1; i >= 0; i--) {
          if (rules[i].type === CSSRule.FONT_FACE_RULE && /TeX\/otf\/|about:blank/.test(rules[i].cssText)) sheet.deleteRule(i);
        }
      });
    });
  }
};
