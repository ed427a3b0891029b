/* JS News client bundle (newsarchive replica).
 * The server sends an empty shell; this script fetches the story as JSON and renders it, the way single-page
 * news apps do. Every URL is resolved against this script's own address, so the same bundle works on the
 * live layout (/static/app.js, /api/...) and on the replica (/jsnews.example/static/app.js, ...).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var siteBase = new URL("../", script.src);
  var apiBase = new URL("../api/", script.src);
  var root = document.getElementById("root");

  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function renderArticle(story) {
    document.title = story.title + " | JS News";
    document.documentElement.lang = story.language;
    var article = el("article", { "class": "story" });
    article.appendChild(el("span", { "class": "section" }, story.section));
    article.appendChild(el("h1", { "class": "headline" }, story.title));
    if (story.authors.length) {
      article.appendChild(el("p", { "class": "byline" }, "By " + story.authors.join(" and ")));
    }
    article.appendChild(el("time", { "datetime": story.published }, new Date(story.published).toUTCString()));
    var body = el("div", { "class": "story-body" });
    story.paragraphs.forEach(function (text) { body.appendChild(el("p", {}, text)); });
    article.appendChild(body);
    root.replaceChildren(article);
  }

  function renderList(items) {
    document.title = "JS News";
    var list = el("ul", { "class": "latest" });
    items.forEach(function (item) {
      var entry = el("li");
      entry.appendChild(el("a", { "href": new URL(item.path.replace(/^\//, ""), siteBase).pathname }, item.title));
      list.appendChild(entry);
    });
    root.replaceChildren(el("h1", {}, "Latest stories"), list);
  }

  var match = /\/news\/(\d+)\//.exec(window.location.pathname);
  var url = match ? new URL("articles/" + match[1] + ".json", apiBase) : new URL("latest.json", apiBase);
  fetch(url)
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (data) { if (match) { renderArticle(data); } else { renderList(data.articles); } })
    .catch(function () { root.textContent = "Something went wrong. Please try again later."; });
})();
