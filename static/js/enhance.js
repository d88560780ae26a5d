/* Marks the page once htmx has loaded, so that the CSS can hide what only pages without JavaScript need
   (html.js .update-summary). A script file, not inline: the Content-Security-Policy allows no inline script. */
if (window.htmx) document.documentElement.classList.add("js");
