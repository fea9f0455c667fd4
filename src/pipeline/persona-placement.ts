export {effectivePlacement, PersonaPlacement} from "../train/persona-placement.js";
