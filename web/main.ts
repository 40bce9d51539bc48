import './components/workbench-app.ts';
