// The window's title: the section's, unless a page names what it shows
// (a payment, an agreement), so that a person with several windows or a
// screen reader knows which one this is.

class PageTitle {
  /** Set by a page for what it shows; cleared when it goes. */
  own = $state<string | null>(null);
}

export const pageTitle = new PageTitle();
