export { productResource } from './products';
