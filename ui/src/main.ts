import './styles/app.scss';
import './styles/page.scss';
import './styles/theme.scss';
import { mount } from 'svelte';
import App from './App.svelte';
import { theme } from './lib/theme.svelte';

document.body.classList.add('govuk-frontend-supported', 'js-enabled');

// The person's colours before anything is drawn: no flash of the other theme.
theme.follow();

const target = document.getElementById('app');
if (!target) throw new Error('Paydesk: the #app element is missing from index.html');

export default mount(App, { target });
