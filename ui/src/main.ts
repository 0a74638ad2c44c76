import './styles/app.scss';
import './styles/page.scss';
import { mount } from 'svelte';
import App from './App.svelte';

document.body.classList.add('govuk-frontend-supported', 'js-enabled');

const target = document.getElementById('app');
if (!target) throw new Error('Paydesk: the #app element is missing from index.html');

export default mount(App, { target });
